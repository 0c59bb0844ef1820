/**
 * The Orbax on-disk format layer: flat lists of host arrays in, Orbax item
 * folders out, and back. Works below jax-js and nnx (the managers layer
 * flattens trees and commits checkpoints on top of it).
 *
 * Extensions to the interface agreed with the managers layer:
 * - `LeafValue` scalars carry an optional `dtype` ("int64" for Python int,
 *   "float64" for Python float), filled in on read.
 * - `decodeToTypedArray` takes an optional third argument naming the leaf in
 *   range errors, and returns float16 as a Uint16Array of bit patterns.
 * - Sequence keys are written as Orbax writes them: the string "0" with
 *   key_type 1, `('layers', '0', 'kernel', 'value')`; read back as numbers.
 * - Leaves Orbax writes for None / empty containers are skipped on read.
 * - `WriteOptions.customMetadata` fills `_METADATA`'s custom_metadata, which
 *   `readPyTreeMetadata` returns.
 */
export type { HostArray, KeyType, LeafEntry, LeafMetadata, LeafPath, LeafValue, PyTreeMetadata, ReadOptions, StoredDType, WriteOptions } from "./types.js";
export { decodeToTypedArray, encodeFromTypedArray, type DecodeTarget, type DecodedArray } from "./convert.js";
export { readPyTree, readPyTreeMetadata } from "./read.js";
export { writePyTree } from "./write.js";
export { paramName } from "./leaf-path.js";
export { STORED_DTYPES } from "./dtype.js";
