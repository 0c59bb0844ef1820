/** The data model of the format layer: flat lists of host arrays keyed by tree paths. */
import type { Storage } from "../storage/storage.js";

export type StoredDType =
  | "bool" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64"
  | "float16" | "bfloat16" | "float32" | "float64";

/** C-order, little-endian bytes of one array. */
export interface HostArray {
  dtype: StoredDType;
  shape: number[];
  bytes: Uint8Array;
}

/** Orbax's key types: 1 = sequence index, 2 = dict key or attribute. */
export type KeyType = 1 | 2;

/** A leaf's position in the tree; list positions are numbers (key type 1), other keys strings (key type 2). */
export interface LeafPath {
  keys: (string | number)[];
  keyTypes: KeyType[];
}

export type LeafValue =
  | { kind: "array"; array: HostArray }
  /** A Python int/float leaf; Orbax stores it as a 0-d int64/float64 array (value_type "scalar"). */
  | {
      kind: "scalar";
      value: number;
      /** Python int (int64) or float (float64); when absent, integers are written as int64, others as float64. */
      dtype?: "int64" | "float64";
    }
  /** A Python str leaf; Orbax stores it in `_strings.json` (value_type "string"). */
  | { kind: "string"; value: string };

export interface LeafEntry {
  path: LeafPath;
  value: LeafValue;
}

/**
 * An array leaf whose bytes are fetched only when the writer reaches it:
 * copying out of jax-js is main-thread work, so fetching one array while the
 * previous one is compressed and written keeps both cores busy and holds
 * fewer copies in memory at once.
 */
export interface DeferredArray {
  kind: "deferred";
  dtype: StoredDType;
  shape: number[];
  /** The stored bytes, called once; they may be lent (a view of device memory). */
  fetch(): Promise<HeldBytes>;
}

/** Bytes that stay valid until `release()` gives their memory back (lent device memory, a reused buffer). */
export interface HeldBytes {
  bytes: Uint8Array;
  release(): void;
}

/** What writePyTree takes: a leaf value in hand, or an array fetched when its turn comes. */
export interface LeafToWrite {
  path: LeafPath;
  value: LeafValue | DeferredArray;
}

export interface WriteOptions {
  compression: "zstd" | "none";
  layout: "zarr2" | "ocdbt";
  /** Called as array bytes reach the disk; totals count array (and scalar) payload bytes before compression. */
  onProgress?(doneBytes: number, totalBytes: number): void;
  /**
   * Flush each array data file to disk as soon as it is written: a caller
   * that makes the folder durable afterwards (fsync of every file) then finds
   * that work done, overlapped with fetching and writing the other arrays.
   */
  flush?: boolean;
  /** JSON-able value stored as `_METADATA`'s custom_metadata (Orbax's PyTreeSave custom_metadata); null when absent. */
  customMetadata?: unknown;
  /** Where `dir` is (default: the local file system). */
  storage?: Storage;
}

export type LeafMetadata = { path: LeafPath } & (
  | { kind: "array"; dtype: StoredDType; shape: number[] }
  | { kind: "scalar" }
  | { kind: "string" }
);

export interface PyTreeMetadata {
  leaves: LeafMetadata[];
  layout: "zarr2" | "ocdbt";
  zarrVersion: 2 | 3;
  customMetadata?: unknown;
}

export interface ReadOptions {
  /** Only leaves for which this returns true are read (the others' bytes are never touched). */
  select?: (path: LeafPath) => boolean;
  /** Called as leaves are decoded; counts stored (uncompressed) bytes of the selected leaves. */
  onProgress?(done: number, total: number): void;
  /** Where `dir` is (default: the local file system). */
  storage?: Storage;
}
