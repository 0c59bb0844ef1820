/**
 * An array's bytes on the host, for writers that store them.
 *
 * jax-js's one public read, `data()`, copies the whole array twice into
 * freshly allocated memory: for 256 MiB that costs more here than writing the
 * bytes to disk with fsync. Large arrays on the wasm device are lent instead,
 * as a view of the device's own memory (wasm-memory.ts); the rest (small
 * arrays, where a copy is cheaper than finding the array; other devices) are
 * copied through `data()`.
 */
import type * as jax from "@jax-js/jax";
import { borrowWasmBytes } from "./wasm-memory.js";

/** Bytes in C order, valid until `release()`, which the caller must call once done with them. */
export interface HostBytes {
  readonly bytes: Uint8Array;
  release(): void;
}

/** From this size a view is made rather than a copy: finding an array costs ~50 µs, copying a small one ~12 µs. */
export const BORROW_MIN_BYTES = 2 ** 20;

/** Dtypes whose bytes on the device are their stored bytes (bool is held as int32). */
const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, uint32: 4, float16: 2, float64: 8 };

/** The bytes of `owned`, which is taken over: disposed on release, or at once when the bytes are a copy. */
export async function hostBytes(owned: jax.Array): Promise<HostBytes> {
  let lent = false;
  try {
    const width = BYTES_PER_ELEMENT[owned.dtype];
    const byteLength = owned.size * (width ?? 0);
    if (owned.device === "wasm" && byteLength >= BORROW_MIN_BYTES) {
      const view = await borrowWasmBytes(owned, byteLength);
      if (view) {
        lent = true;
        let released = false;
        const release = () => {
          if (!released) owned.dispose();
          released = true;
        };
        return { bytes: view, release };
      }
    }
    const data = await owned.ref.data();
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), release: () => undefined };
  } finally {
    if (!lent) owned.dispose();
  }
}
