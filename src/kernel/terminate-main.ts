/**
 * Stopping cell code the SIGINT watchdog cannot reach: a busy loop that runs
 * after a cell's first `await` (the watchdog covers only the synchronous
 * start of a cell). The I/O thread stops it through V8's inspector.
 *
 * `Runtime.terminateExecution` ends the running JavaScript and the thread
 * goes on with its event loop, but the termination skips Node's bookkeeping
 * on the way out: the async-id stack that timers, nextTick and
 * AsyncLocalStorage's promise hooks push from JavaScript stays unbalanced,
 * and Node aborts the process when it finds that. So the main thread is first
 * paused (nothing runs while it is), the pause is checked to be inside cell
 * code, the stack is cleared (as Node does itself when an uncaughtException
 * handler swallows an error), the termination is posted, and only then is
 * the thread resumed.
 */
import { Session } from "node:inspector";
import { nodeBinding } from "./node-binding.js";

const CLEAR_HOOK = Symbol.for("tsnnx.clearAsyncIdStack");
/** The executor names its cell scripts so (executor.ts). */
const CELL_SCRIPT = /(^|\/)tsnnx-cell-\d+\.js$/;
/** A thread that does not pause this soon runs no JavaScript that could be stopped. */
const PAUSE_TIMEOUT_MS = 2000;

/**
 * Main thread, at start-up: makes the async-id stack clearable from the
 * inspector. Returns false where this Node has no such function; the kernel
 * then leaves such loops to a restart.
 */
export function installTerminationHook(): boolean {
  const clear = nodeBinding("async_wrap")?.clearAsyncIdStack;
  if (typeof clear !== "function") return false;
  (globalThis as Record<symbol, unknown>)[CLEAR_HOOK] = clear;
  return true;
}

interface PausedFrame {
  url: string;
  location: { scriptId: string };
}

/** What a termination attempt came to, for the kernel's log. */
export type TerminationOutcome = "terminated" | "not in cell code" | "no longer wanted" | "did not pause";

/**
 * I/O thread: returns a function that terminates the main thread's cell code
 * if, once paused, `stillWanted()` holds and a cell script is on the stack.
 */
export function mainThreadTerminator(): (stillWanted: () => boolean) => Promise<TerminationOutcome> {
  let session: Session | undefined;
  const scripts = new Map<string, string>();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  let busy = false;
  return async (stillWanted) => {
    if (busy) return "no longer wanted";
    busy = true;
    if (session === undefined) {
      session = new Session();
      session.connectToMainThread();
      session.on("Debugger.scriptParsed", (event) => scripts.set(event.params.scriptId, event.params.url));
    }
    const live = session;
    try {
      // Enabled only for this: a debugger left on makes every await about ten times slower.
      await post("Debugger.enable");
      const paused = new Promise<PausedFrame[] | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), PAUSE_TIMEOUT_MS);
        live.once("Debugger.paused", (event) => {
          clearTimeout(timer);
          resolve(event.params.callFrames as PausedFrame[]);
        });
      });
      await post("Debugger.pause");
      const frames = await paused;
      if (frames === undefined) return "did not pause";
      const inCell = frames.some((frame) => CELL_SCRIPT.test(frame.url || scripts.get(frame.location.scriptId) || ""));
      const outcome: TerminationOutcome = !stillWanted() ? "no longer wanted" : inCell ? "terminated" : "not in cell code";
      if (outcome === "terminated") {
        await post("Runtime.evaluate", { expression: `globalThis[Symbol.for(${JSON.stringify(CLEAR_HOOK.description)})]()`, silent: true });
        // Its reply comes only once the termination is done, after the resume: not awaited.
        post("Runtime.terminateExecution").catch(() => undefined);
      }
      await post("Debugger.resume");
      return outcome;
    } finally {
      await post("Debugger.disable").catch(() => undefined);
      busy = false;
    }
  };
}
