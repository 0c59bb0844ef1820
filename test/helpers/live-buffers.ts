/**
 * Counts live device buffers. jax-js has no public counter, but every array's
 * storage is a backend "slot" made by `backend.malloc`, shared through
 * `incRef` and freed when `decRef` brings it to zero. The backend objects are
 * jax-js internals (src/runtime/jax-internals.ts): we wrap the three methods
 * on each backend instance and keep our own reference counts. A slot made
 * before the hook is not counted.
 */
import { internalGetBackend } from "../../src/runtime/jax-internals.js";

interface Backend {
  malloc(size: number, initialData?: Uint8Array): number;
  incRef(slot: number): void;
  decRef(slot: number): void;
}

const found = await internalGetBackend();
if (!found) throw new Error("live-buffers: cannot reach jax-js's getBackend; jax-js's bundle layout changed");
const getBackend = (device: string) => found(device) as Backend;

const counts = new Map<Backend, Map<number, number>>();

function hook(backend: Backend): Map<number, number> {
  const existing = counts.get(backend);
  if (existing) return existing;
  const refs = new Map<number, number>();
  counts.set(backend, refs);
  const { malloc, incRef, decRef } = backend;
  backend.malloc = function (size, initialData) {
    const slot = malloc.call(this, size, initialData);
    refs.set(slot, 1);
    return slot;
  };
  backend.incRef = function (slot) {
    incRef.call(this, slot);
    const n = refs.get(slot);
    if (n !== undefined) refs.set(slot, n + 1);
  };
  backend.decRef = function (slot) {
    decRef.call(this, slot);
    const n = refs.get(slot);
    if (n === undefined) return;
    if (n <= 1) refs.delete(slot);
    else refs.set(slot, n - 1);
  };
  return refs;
}

/**
 * Start counting on `device` (idempotent) and return the number of live
 * buffers allocated there since counting started.
 */
export function liveBuffers(device: string): number {
  return hook(getBackend(device)).size;
}
