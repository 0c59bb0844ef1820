/**
 * Reading an array's bytes to the host in parts, for writers that stream
 * them to disk.
 *
 * jax-js's one public read, `data()`, copies the whole array twice into
 * freshly allocated memory; for large arrays the page faults of those fresh
 * allocations cost most of a save (256 MiB: 330-460 ms here). Its wasm
 * backend can also read a byte range of a buffer, into small allocations that
 * the allocator reuses (the same 256 MiB in 4 MiB parts: 80-160 ms). That
 * range read is not public (jax-internals.ts). Where the backend cannot be
 * reached or the array is not on the wasm device, the whole array comes from
 * `data()` as a single part.
 */
import * as jax from "@jax-js/jax";
import { internalGetBackend } from "./jax-internals.js";

interface RangeReader {
  read(slot: number, start: number, count: number): Promise<Uint8Array>;
}

/** Dtypes whose stored bytes are the device's bytes (bool is held as int32 and stored as one byte). */
const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, uint32: 4, float16: 2, float64: 8 };

/**
 * Yields the C-order bytes of `owned` in parts of at most `partBytes`, and
 * disposes it once done (or abandoned). The parts are fresh buffers the
 * caller may keep or drop.
 */
export async function* bytesInParts(owned: jax.Array, partBytes: number): AsyncGenerator<Uint8Array> {
  try {
    const backend = owned.device === "wasm" ? ((await internalGetBackend())?.("wasm") as Partial<RangeReader> | undefined) : undefined;
    const width = BYTES_PER_ELEMENT[owned.dtype];
    if (typeof backend?.read !== "function" || width === undefined || typeof owned._realizeSource !== "function") {
      const data = await owned.ref.data();
      yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      return;
    }
    // Realizing a view (transposed, sliced, broadcast) schedules the kernel that makes its
    // C-order buffer; only after blockUntilReady has that buffer been written. In the other
    // order the read returns zeros.
    const slot = owned._realizeSource();
    await owned.blockUntilReady();
    const total = owned.shape.reduce((a, b) => a * b, 1) * width;
    for (let start = 0; start < total; start += partBytes) {
      yield await (backend as RangeReader).read(slot, start, Math.min(partBytes, total - start));
    }
  } finally {
    owned.dispose();
  }
}
