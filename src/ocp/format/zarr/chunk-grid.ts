import { elementCount } from "../dtype.js";

/**
 * Copies one decoded chunk (C order, full chunk shape) into its place in the
 * whole array (C order), clipping chunks that hang over the array's edge.
 */
export function copyChunkInto(
  out: Uint8Array, shape: readonly number[],
  chunk: Uint8Array, chunkShape: readonly number[],
  chunkIndex: readonly number[], itemSize: number,
): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(chunk.subarray(0, itemSize));
    return;
  }
  const start = chunkIndex.map((c, d) => c * chunkShape[d]);
  const extent = start.map((s, d) => Math.min(chunkShape[d], shape[d] - s));
  if (extent.some((e) => e <= 0)) return;
  const outStrides = strides(shape, itemSize);
  const chunkStrides = strides(chunkShape, itemSize);
  const rowBytes = extent[rank - 1] * itemSize;
  const rows = elementCount(extent.slice(0, -1));
  const pos = new Array(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let o = start[rank - 1] * itemSize;
    let c = 0;
    for (let d = 0; d < rank - 1; d++) {
      o += (start[d] + pos[d]) * outStrides[d];
      c += pos[d] * chunkStrides[d];
    }
    out.set(chunk.subarray(c, c + rowBytes), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++pos[d] < extent[d]) break;
      pos[d] = 0;
    }
  }
}

function strides(shape: readonly number[], itemSize: number): number[] {
  const s = new Array(shape.length);
  let acc = itemSize;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Every chunk index of a regular grid, in C order. */
export function chunkIndices(shape: readonly number[], chunkShape: readonly number[]): number[][] {
  const counts = shape.map((s, d) => Math.ceil(s / chunkShape[d]));
  if (counts.some((c) => c === 0)) return [];
  const total = elementCount(counts);
  const out: number[][] = [];
  for (let i = 0; i < total; i++) {
    const idx = new Array(counts.length);
    let rest = i;
    for (let d = counts.length - 1; d >= 0; d--) {
      idx[d] = rest % counts[d];
      rest = Math.floor(rest / counts[d]);
    }
    out.push(idx);
  }
  return out;
}
