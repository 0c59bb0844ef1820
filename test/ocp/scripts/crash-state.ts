/** The deterministic state the crash test saves at each step: bit patterns that depend on step and index. */
export function stateBits(step: number, leaf: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = (step * 2654435761 + leaf * 40503 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Keep the exponent away from NaN/Inf so float32 round trips are exact bit for bit.
    out[i] = (x & 0x807fffff) | 0x3f000000;
  }
  return out;
}

export const LEAVES = 4;
export const ELEMENTS = 64 * 1024;

/** The state of `step` as saved the first time (version 0) or by its forced overwrite (version 1). */
export function versionBits(step: number, version: number, leaf: number, n: number): Uint32Array {
  return stateBits(version === 0 ? step : step + 1_000_000, leaf, n);
}
