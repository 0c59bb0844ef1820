/**
 * A test-only executor: plain JavaScript under `node:vm`, just enough to drive
 * the protocol server in tests independently of the real TypeScript executor.
 * Output of callbacks a cell scheduled goes to that cell (AsyncLocalStorage).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import vm from "node:vm";
import type { CellIO, ExecuteOutcome, Executor } from "../../src/kernel/exec/index.js";
import type { CreateExecutor } from "../../src/kernel/server.js";
import { cellCodeOver, enterCellCode, leaveCellCode } from "../../src/kernel/interrupt-gate.js";
import { checkSigintHold } from "../../src/kernel/sigint-hold.js";

export const createVmExecutor: CreateExecutor = async ({ comms, interruptGate }) => {
  const currentIO = new AsyncLocalStorage<CellIO>();
  const io = (): CellIO => {
    const cell = currentIO.getStore();
    if (cell === undefined) throw new Error("no cell to write to");
    return cell;
  };
  const print = (name: "stdout" | "stderr") => (...args: unknown[]) =>
    io().stream(name, args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ") + "\n");
  const context = vm.createContext({
    console: { log: print("stdout"), error: print("stderr") },
    setTimeout, clearTimeout, Promise, comms,
    display: {
      html: (html: string) => io().display({ "text/html": html, "text/plain": html }, {}, {}, false),
      markdown: (md: string) => io().display({ "text/markdown": md, "text/plain": md }, {}, {}, false),
      update: (id: string, text: string) => io().display({ "text/plain": text }, {}, { display_id: id }, true),
      show: (id: string, text: string) => io().display({ "text/plain": text }, {}, { display_id: id }, false),
      clear: (wait = false) => io().clearOutput(wait),
    },
    input: (prompt: string, password = false) => io().requestInput(prompt, password),
    prompt: (message: string) => io().requestInputSync(message, false),
    // The interrupt gate, opened from inside the script as the real executor does.
    __gate: { enter: () => enterCellCode(interruptGate), leave: () => leaveCellCode(interruptGate) },
  });
  let interrupt: ((error: Error) => void) | undefined;
  // As the real executor does: an error nobody caught goes to the cell whose callback threw it.
  const route = (error: unknown) => currentIO.getStore()?.stream("stderr", `Uncaught ${String((error as Error)?.stack ?? error)}\n`);
  process.on("uncaughtException", route);
  process.on("unhandledRejection", route);
  /** Jupyter's cursor positions count code points. */
  const utf16 = (code: string, points: number) => Array.from(code).slice(0, points).join("").length;

  const executor: Executor = {
    async execute(code, cellIO): Promise<ExecuteOutcome> {
      const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
      try {
        const value = await currentIO.run(cellIO, async () => {
          const isAsync = /\bawait\b/.test(code);
          // A synchronous cell's declarations must stay at the script's top level, so it only opens
          // the gate (no try/finally): SIGINT raised just as it ends could still meet vm's gap.
          const wrapped = isAsync ? `__gate.enter(); try { (async () => { ${code} })() } finally { __gate.leave() }` : `__gate.enter();\n${code}`;
          const script = new vm.Script(wrapped, { filename: "cell.js" });
          let result: unknown;
          try {
            checkSigintHold();
            result = script.runInContext(context, { breakOnSigint: true });
          } finally {
            cellCodeOver(interruptGate);
          }
          return isAsync ? Promise.race([result, interrupted]) : result;
        });
        return value === undefined ? { status: "ok" } : { status: "ok", result: { data: { "text/plain": inspect(value) }, metadata: {} } };
      } catch (error) {
        // Errors thrown in the vm context are not instances of this realm's Error.
        const e = typeof (error as Error)?.message === "string" ? (error as Error) : new Error(String(error));
        const name = (e as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" ? "Interrupted" : e.name;
        return { status: "error", ename: name, evalue: e.message, traceback: [`${name}: ${e.message}`] };
      } finally {
        interrupt = undefined;
      }
    },
    interrupt() {
      interrupt?.(Object.assign(new Error("interrupted"), { name: "Interrupted" }));
    },
    async complete(code, cursorPos) {
      const prefix = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, utf16(code, cursorPos)))?.[0] ?? "";
      const names = Object.getOwnPropertyNames(context).filter((n) => n.startsWith(prefix));
      return { matches: names.sort(), cursorStart: cursorPos - prefix.length, cursorEnd: cursorPos, metadata: {} };
    },
    async inspect(code, cursorPos) {
      const name = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, utf16(code, cursorPos)))?.[0];
      const found = name !== undefined && name in context;
      return { found, data: found ? { "text/plain": `${name}: ${inspect((context as Record<string, unknown>)[name])}` } : {}, metadata: {} };
    },
    async isComplete(code) {
      try {
        new vm.Script(code);
        return { status: "complete" };
      } catch (error) {
        return /Unexpected end of input/.test((error as Error).message) ? { status: "incomplete", indent: "  " } : { status: "invalid" };
      }
    },
    prepareNextCell() {},
    registerMagic() {
      throw new Error("the vm test executor has no magics");
    },
    dispose() {},
  };
  return executor;
};
