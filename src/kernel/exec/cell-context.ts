/**
 * Which cell a piece of running code belongs to. Every cell runs inside
 * `cellContext.run(cell, ...)`, so timers, promises and callbacks it starts
 * carry the cell with them: their output, displays and errors go to the cell
 * that started them, even after it finished.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CellIO } from "./types.js";

export interface RunningCell {
  readonly io: CellIO;
  readonly executionCount: number;
  /** False once the cell's outcome was reported. */
  running: boolean;
  /** Output the cell started (displays of arrays) that must finish before its outcome. */
  readonly pending: Set<Promise<unknown>>;
  /** Ends the running cell with this error (an error thrown by a timer or rejected promise). */
  fail(error: unknown): void;
}

export const cellContext = new AsyncLocalStorage<RunningCell | undefined>();

/** The cell the calling code belongs to, if any. */
export function currentCell(): RunningCell | undefined {
  return cellContext.getStore();
}

/**
 * Runs a CellIO call outside the cell's context: whatever the server does
 * there (logging, writing to stdout) is the kernel's own output, not the cell's.
 * Not `cellContext.exit`: that switches the storage off for the whole process
 * and on again in a `finally`, which an interrupt landing inside the call
 * (termination skips `finally`) would skip, leaving every later timer and
 * callback of every cell without its cell.
 */
export function outsideCell<T>(call: () => T): T {
  return cellContext.run(undefined, call);
}
