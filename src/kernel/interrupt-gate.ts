/**
 * When SIGINT may be raised on the kernel's process, shared between the main
 * thread (which runs cells) and the I/O thread (which receives
 * interrupt_request).
 *
 * Node's `vm` (`breakOnSigint`) takes SIGINT over only while a script runs:
 * as the script ends it restores the default action for an instant before the
 * process's own listeners come back, so a SIGINT landing then kills the
 * kernel. Hence SIGINT is raised only while a cell's synchronous code is
 * inside the window the script marks itself (`enter`/`leave`, called from the
 * cell script); any other time an interrupt goes to the main thread as a
 * message (the executor rejects the cell's pending awaits).
 *
 * Slots of the shared Int32Array:
 * - STATE: IDLE, RUNNING (cell code under the watchdog), or SIGNALLED (a
 *   SIGINT is on its way: the script must not leave before it lands).
 * - REQUESTED / HANDLED: interrupts asked for by the I/O thread, and the
 *   number of them the main thread has handled.
 * - NAP: see leaveCellCode.
 * - AWAITING: 1 while a cell's code has gone past its first `await` (out of
 *   the watchdog's reach) and the cell has not ended: a main thread that then
 *   ignores an interrupt is stuck in that cell's code.
 */
const STATE = 0;
const REQUESTED = 1;
const HANDLED = 2;
/** Always 0: the main thread naps on it while a raised SIGINT is on its way. */
const NAP = 3;
const AWAITING = 4;
const SLOTS = 5;

const IDLE = 0;
const RUNNING = 1;
const SIGNALLED = 2;

export type InterruptGate = Int32Array;

export function createInterruptGate(): InterruptGate {
  return new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
}

export function checkInterruptGate(gate: unknown): InterruptGate {
  if (!(gate instanceof Int32Array) || !(gate.buffer instanceof SharedArrayBuffer) || gate.length !== SLOTS) {
    throw new TypeError(`an interrupt gate must be an Int32Array of ${SLOTS} slots over a SharedArrayBuffer (see createInterruptGate)`);
  }
  return gate;
}

// Main thread, from inside the cell script (under the SIGINT watchdog).

/** The cell's synchronous code starts: SIGINT may now be raised. */
export function enterCellCode(gate: InterruptGate): void {
  Atomics.store(gate, STATE, RUNNING);
}

/**
 * The cell's synchronous code ends. If a SIGINT was raised meanwhile it must
 * land before the script returns (after, it would kill the process), so wait
 * here, still under the watchdog, until it terminates the script.
 */
export function leaveCellCode(gate: InterruptGate): void {
  if (Atomics.compareExchange(gate, STATE, RUNNING, IDLE) !== SIGNALLED) return;
  // 1 ms naps: the watchdog's termination ends the loop between two of them.
  for (;;) Atomics.wait(gate, NAP, 0, 1);
}

/** Main thread, after the script returned or was terminated: the watchdog is gone. */
export function cellCodeOver(gate: InterruptGate): void {
  Atomics.store(gate, STATE, IDLE);
}

/** Main thread: the running cell's code continues (or stops continuing) after its first await. */
export function cellAwaiting(gate: InterruptGate, awaiting: boolean): void {
  Atomics.store(gate, AWAITING, awaiting ? 1 : 0);
}

/** Main thread: interrupt request `sequence` was acted on. */
export function interruptHandled(gate: InterruptGate, sequence: number): void {
  if (sequence > Atomics.load(gate, HANDLED)) Atomics.store(gate, HANDLED, sequence);
}

// I/O thread.

/** How often a SIGINT that has not landed is raised again (it can be lost while jax-js's worker pool runs). */
export const RESEND_MS = 300;
/** How long the main thread may ignore an interrupt while a cell awaits before its code is terminated. */
export const ESCALATE_MS = 500;
const POLL_MS = 20;

/** How the I/O thread reaches the main thread's code. */
export interface InterruptMeans {
  /** Tells the main thread (it acts once its event loop turns). */
  notify(sequence: number): void;
  /** Raises SIGINT (the watchdog turns it into an exception of the cell's synchronous code). */
  raise(): void;
  /** Terminates the main thread's cell code if `stillWanted()` holds once it is paused (see terminate-main.ts). */
  terminate(stillWanted: () => boolean): void;
}

/**
 * Delivers one interrupt: tells the main thread and, while it is stuck in
 * cell code under the watchdog, raises SIGINT, again every RESEND_MS until
 * the main thread reports the interrupt handled. If the main thread ignores
 * it for ESCALATE_MS while a cell's code runs past its first await (a busy
 * loop there is out of the watchdog's reach), that code is terminated, once.
 * Returns whether SIGINT was raised at once: then the watchdog ends the cell
 * code, and nothing else may make it leave the script before the signal lands.
 */
export function deliverInterrupt(gate: InterruptGate, means: InterruptMeans): boolean {
  const sequence = Atomics.add(gate, REQUESTED, 1) + 1;
  means.notify(sequence);
  const { raise } = means;
  const startedAt = Date.now();
  let raisedAt = -Infinity;
  let terminated = false;
  const tick = (): void => {
    if (Atomics.load(gate, HANDLED) >= sequence) return;
    const now = Date.now();
    if (!terminated && now - startedAt >= ESCALATE_MS && Atomics.load(gate, STATE) === IDLE && Atomics.load(gate, AWAITING) === 1) {
      terminated = true;
      means.terminate(() => Atomics.load(gate, HANDLED) < sequence && Atomics.load(gate, STATE) === IDLE && Atomics.load(gate, AWAITING) === 1);
    }
    if (Atomics.compareExchange(gate, STATE, RUNNING, SIGNALLED) === RUNNING) {
      raisedAt = now;
      raise();
    } else if (Atomics.load(gate, STATE) === SIGNALLED && now - raisedAt >= RESEND_MS) {
      raisedAt = now;
      raise();
    }
    setTimeout(tick, POLL_MS);
  };
  tick();
  return raisedAt !== -Infinity;
}
