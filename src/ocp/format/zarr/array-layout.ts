import type { StoredDType } from "../types.js";

/** What reading a zarr array (v2 or v3) needs, parsed from its metadata. */
export interface ArrayLayout {
  zarrVersion: 2 | 3;
  dtype: StoredDType;
  shape: number[];
  /** Shape of one stored chunk (v3 sharded: of one shard). */
  chunkShape: number[];
  /** The key of a chunk, relative to the array's own folder. */
  chunkKey(index: readonly number[]): string;
  /** Decodes a stored chunk to its C-order little-endian bytes (full chunk shape). */
  decodeChunk(stored: Uint8Array, what: string): Promise<Uint8Array>;
  /** Decodes a stored chunk straight into `into` (one whole chunk's bytes) where the codecs allow; false, with nothing written, where not. */
  decodeChunkInto?(stored: Uint8Array, into: Uint8Array, what: string): Promise<boolean>;
  fill: Uint8Array;
}
