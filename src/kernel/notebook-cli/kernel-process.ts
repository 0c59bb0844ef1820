/**
 * Runs a notebook's cells in a process of its own (cell-host.ts) and watches
 * it: the per-cell timeout interrupts the cell with SIGINT and, if the cell
 * ignores that, kills the process; a process that ends while a cell runs is
 * reported against that cell. Every way a cell can end is one `CellEnd`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ExecuteOutcome } from "../exec/types.js";
import type { CellEvent, FromHost, ToHost } from "./host-messages.js";
import { KERNEL_NODE_FLAGS } from "../node-flags.js";

export type CellEnd =
  | { kind: "finished"; outcome: ExecuteOutcome }
  /** The timeout passed; `outcome` is how the interrupted cell ended, or null when it ignored the interrupt and the process was killed. */
  | { kind: "timed out"; outcome: ExecuteOutcome | null }
  /** The process ended under the cell: `how` is "exit code 3" or "signal SIGSEGV". */
  | { kind: "died"; how: string };

export interface NotebookKernel {
  execute(cell: number, code: string, executionCount: number, timeoutSeconds: number | null): Promise<CellEnd>;
  close(): Promise<void>;
}

/** How long an interrupted cell may take to stop before its process is killed. */
const INTERRUPT_GRACE_MS = 3000;
/** Loading TypeScript and jax-js takes seconds; a process that is not ready after this is stuck. */
const START_TIMEOUT_MS = 120_000;

function hostEntry(): { module: string; execArgv: string[] } {
  const source = import.meta.url.endsWith(".ts");
  const module = fileURLToPath(new URL(source ? "./cell-host.ts" : "./cell-host.js", import.meta.url));
  // Run from source under tsx (tests, development): the child needs tsx's loader too.
  return { module, execArgv: [...KERNEL_NODE_FLAGS, ...(source ? [`--import=${pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href}`] : [])] };
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `signal ${signal}` : `exit code ${code}`);

/**
 * Starts the process in `cwd` (as Jupyter starts a kernel in the notebook's
 * folder). `onEvent` gets every output; `onLog` what the process itself
 * writes to stdout or stderr (native libraries, the kernel's log).
 */
export function startNotebookKernel(
  cwd: string,
  onEvent: (event: CellEvent) => void,
  onLog: (text: string) => void,
): Promise<NotebookKernel> {
  const { module, execArgv } = hostEntry();
  const child: ChildProcess = fork(module, [], { cwd, execArgv, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  child.stdout!.setEncoding("utf8").on("data", onLog);
  child.stderr!.setEncoding("utf8").on("data", onLog);
  let exited: string | null = null;
  let running: { cell: number; finish(end: CellEnd): void } | null = null;
  let notReady: ((how: string) => void) | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = describeExit(code, signal);
      running?.finish({ kind: "died", how: exited });
      notReady?.(exited);
      resolve();
    }),
  );
  // The child's IPC channel fails only when it is gone, which "exit" reports.
  child.on("error", () => {});

  const kernel: NotebookKernel = {
    execute(cell, code, executionCount, timeoutSeconds) {
      if (exited !== null) return Promise.resolve({ kind: "died", how: exited });
      return new Promise<CellEnd>((resolve) => {
        let timedOut = false;
        let timers: NodeJS.Timeout[] = [];
        running = {
          cell,
          finish(end) {
            for (const timer of timers) clearTimeout(timer);
            running = null;
            resolve(timedOut && end.kind === "finished" ? { kind: "timed out", outcome: end.outcome } : end);
          },
        };
        const message: ToHost = { type: "execute", cell, code, executionCount };
        // A channel that closed under us is reported by "exit" as a dead kernel.
        child.send(message, () => {});
        if (timeoutSeconds !== null) {
          timers = [
            setTimeout(() => {
              timedOut = true;
              child.kill("SIGINT");
              timers.push(
                setTimeout(() => {
                  running?.finish({ kind: "timed out", outcome: null });
                  child.kill("SIGKILL");
                }, INTERRUPT_GRACE_MS),
              );
            }, timeoutSeconds * 1000),
          ];
        }
      });
    },
    async close() {
      if (exited === null) {
        if (child.connected) child.disconnect();
        const stuck = setTimeout(() => child.kill("SIGKILL"), 2000);
        await exit;
        clearTimeout(stuck);
      }
    },
  };

  return new Promise<NotebookKernel>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(startTimer);
      notReady = null;
      child.kill("SIGKILL");
      reject(new Error(`the notebook's kernel process did not start: ${reason}`));
    };
    const startTimer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    notReady = fail;
    child.on("message", (message: FromHost) => {
      switch (message.type) {
        case "ready":
          clearTimeout(startTimer);
          notReady = null;
          resolve(kernel);
          break;
        case "failed":
          fail(message.message);
          break;
        case "done":
          if (running?.cell === message.cell) running.finish({ kind: "finished", outcome: message.outcome });
          break;
        default:
          onEvent(message);
      }
    });
  });
}
