/**
 * Browser globals jax-js reads while it loads: it builds its wasm backend at
 * import time, choosing shared memory and a worker pool only if `Worker` and
 * `SharedArrayBuffer` exist, and sizing the pool from
 * `navigator.hardwareConcurrency`. So this module must be evaluated before the
 * first import of `@jax-js/jax`: every tsnnx entry point imports it first.
 *
 * `TSNNX_THREADS` caps the worker count (default: every core); 1 means no
 * workers, which also keeps synchronous reads (`dataSync`, `js`) working.
 */
import os from "node:os";
import { NodeWebWorker } from "./worker-shim.js";

export const wasmThreads = parseThreads(process.env.TSNNX_THREADS);

function parseThreads(value: string | undefined): number {
  const cores = os.availableParallelism();
  if (value === undefined || value.trim() === "") return cores;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`TSNNX_THREADS=${value} is not a positive integer`);
  }
  return Math.min(n, cores);
}

interface NodeNavigator {
  userAgent: string;
  hardwareConcurrency: number;
  gpu?: GPU;
}

const g = globalThis as Record<string, unknown>;
if (g.navigator === undefined) {
  const navigator: NodeNavigator = { userAgent: `node/${process.version}`, hardwareConcurrency: wasmThreads };
  Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, writable: true });
} else {
  // Node >= 21 has a read-only navigator of its own; shadow the fields jax-js reads.
  const base = g.navigator as object;
  const navigator = Object.create(base, {
    hardwareConcurrency: { value: wasmThreads, writable: true },
    gpu: { value: undefined, writable: true },
  }) as NodeNavigator;
  Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, writable: true });
}
if (wasmThreads > 1 && typeof g.Worker === "undefined") g.Worker = NodeWebWorker;
