/**
 * Keeps SIGINT with Node's `vm` watchdog for the kernel's whole life.
 *
 * A script run with `breakOnSigint` starts Node's SIGINT watchdog (a thread
 * and a signal handler) and stops it when it returns, and while the process
 * has SIGINT listeners `vm` takes them off for the script and puts them back
 * after. Between the two, SIGINT has its default action for an instant: a
 * SIGINT landing then ends the kernel (a burst of them does so reliably).
 * Starting and joining the thread also costs 0.1-0.3 ms a cell.
 *
 * Holding one watchdog start for as long as the kernel lives (what Node's
 * REPL does while it evaluates) keeps SIGINT with the watchdog throughout: a
 * script under `breakOnSigint` is still stopped, and a SIGINT outside any
 * script is recorded as pending, which is polled here and handed to the
 * kernel. This reaches Node's watchdog through `process.binding`, deprecated
 * but still there; without it the kernel keeps a plain SIGINT listener.
 *
 * It holds only while no one else listens for SIGINT: a listener (notebook
 * code, or a library such as signal-exit) takes SIGINT over, and `vm` would
 * then drop its handler for every script, leaving the default action. So
 * before each cell script the hold is given up for good if such a listener
 * exists, and Node's own per-script behaviour takes over.
 */
import { nodeBinding } from "./node-binding.js";

interface WatchdogBinding {
  startSigintWatchdog(): boolean;
  /** Stops one start; true if a SIGINT came while no script was watched (the pending flag is cleared). */
  stopSigintWatchdog(): boolean;
}

const POLL_MS = 50;

type Hold = { binding: WatchdogBinding; poll: NodeJS.Timeout; onSigint: () => void };
let hold: Hold | undefined;

function watchdogBinding(): WatchdogBinding | undefined {
  const binding = nodeBinding("contextify") as Partial<WatchdogBinding> | undefined;
  return typeof binding?.startSigintWatchdog === "function" && typeof binding.stopSigintWatchdog === "function" ? (binding as WatchdogBinding) : undefined;
}

/**
 * Routes SIGINT to `onSigint` for the life of the process: through the held
 * watchdog where Node allows it and nothing else listens, else through a
 * plain listener.
 */
export function holdSigint(onSigint: () => void): void {
  const binding = process.listenerCount("SIGINT") === 0 ? watchdogBinding() : undefined;
  if (binding === undefined || !binding.startSigintWatchdog()) {
    process.on("SIGINT", onSigint);
    return;
  }
  const poll = setInterval(() => {
    // A start and a stop on top of the held one: the stop reports (and clears) a pending SIGINT.
    binding.startSigintWatchdog();
    if (binding.stopSigintWatchdog()) onSigint();
  }, POLL_MS);
  poll.unref();
  hold = { binding, poll, onSigint };
}

/** Called before every cell script: gives the hold up if someone else now listens for SIGINT. */
export function checkSigintHold(): void {
  if (hold === undefined || process.listenerCount("SIGINT") === 0) return;
  const { binding, poll, onSigint } = hold;
  hold = undefined;
  clearInterval(poll);
  // The last stop puts Node's own SIGINT handler back over the listeners' one...
  binding.stopSigintWatchdog();
  // ...so the listeners are taken off and put back, which installs theirs again (as vm does after a script).
  const listeners = process.rawListeners("SIGINT") as ((...args: unknown[]) => void)[];
  process.removeAllListeners("SIGINT");
  for (const listener of listeners) process.on("SIGINT", listener);
  process.on("SIGINT", onSigint);
  process.stderr.write("[tsnnx kernel] notebook code listens for SIGINT: from now on a SIGINT from outside can end the kernel as a cell finishes (interrupts from Jupyter are unaffected)\n");
}
