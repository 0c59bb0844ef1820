/** Orbax's non-strict restore: an array whose stored shape differs from the template's is zero-padded or truncated per axis. */
import { itemSize } from "./format/dtype.js";
import type { HostArray } from "./format/index.js";

/** `array` resized to `shape` (same rank): the overlapping corner is kept, the rest is zero. */
export function padOrTruncate(array: HostArray, shape: number[]): HostArray {
  if (shape.length !== array.shape.length) throw new Error(`Cannot pad/truncate shape [${array.shape}] to [${shape}]: the ranks differ`);
  const size = itemSize(array.dtype);
  const out = new Uint8Array(shape.reduce((a, b) => a * b, 1) * size);
  const overlap = shape.map((d, i) => Math.min(d, array.shape[i]));
  if (overlap.some((d) => d === 0)) return { dtype: array.dtype, shape, bytes: out };
  const rank = shape.length;
  const stride = (dims: number[]): number[] => {
    const s = new Array<number>(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
    return s;
  };
  const srcStride = stride(array.shape);
  const dstStride = stride(shape);
  // Copy contiguous runs along the last axis, walking the other axes like an odometer.
  const run = (rank === 0 ? 1 : overlap[rank - 1]) * size;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (;;) {
    let src = 0;
    let dst = 0;
    for (let i = 0; i < index.length; i++) {
      src += index[i] * srcStride[i];
      dst += index[i] * dstStride[i];
    }
    out.set(array.bytes.subarray(src * size, src * size + run), dst * size);
    let axis = index.length - 1;
    while (axis >= 0 && ++index[axis] === overlap[axis]) index[axis--] = 0;
    if (axis < 0) break;
  }
  return { dtype: array.dtype, shape, bytes: out };
}
