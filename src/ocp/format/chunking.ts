import { elementCount, itemSize } from "./dtype.js";
import type { HostArray } from "./types.js";

/**
 * How writePyTree cuts an array into zarr chunks: whole when it fits
 * `maxBytes`, otherwise split along the first axis only, so every chunk is a
 * contiguous run of the C-order bytes (the last one zero-padded to full size,
 * as zarr v2 stores edge chunks).
 */
export function chooseChunkShape(shape: readonly number[], size: number, maxBytes: number): number[] {
  const chunk = shape.map((d) => Math.max(1, d));
  if (chunk.length > 0) {
    const rowBytes = elementCount(chunk.slice(1)) * size;
    chunk[0] = Math.min(chunk[0], Math.max(1, Math.floor(maxBytes / rowBytes)));
  }
  return chunk;
}

export function chunkCount(array: { shape: readonly number[] }, chunkShape: readonly number[]): number {
  if (elementCount(array.shape) === 0) return 0;
  return array.shape.length === 0 ? 1 : Math.ceil(array.shape[0] / chunkShape[0]);
}

/** The stored (uncompressed, full-size) bytes of chunk `i`; a view of the array's bytes unless it needs padding. */
export function chunkBytes(array: HostArray, chunkShape: readonly number[], i: number): Uint8Array {
  if (array.shape.length === 0) return array.bytes;
  const rowBytes = elementCount(array.shape.slice(1)) * itemSize(array.dtype);
  const full = chunkShape[0] * rowBytes;
  const start = i * full;
  const part = array.bytes.subarray(start, Math.min(start + full, array.bytes.length));
  if (part.length === full) return part;
  const padded = new Uint8Array(full);
  padded.set(part);
  return padded;
}

/** zarr v2 chunk key ("." separated) of chunk `i` along the first axis. */
export function chunkKey(shape: readonly number[], i: number): string {
  return shape.length === 0 ? "0" : [i, ...shape.slice(1).map(() => 0)].join(".");
}
