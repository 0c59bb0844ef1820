/**
 * The Orbax on-disk format layer: flat lists of host arrays in, Orbax item
 * folders (`<step>/default`, `<step>/state`, ...) out, and back. Works below
 * jax-js and nnx: the managers layer flattens trees, fsyncs and commits.
 *
 * Writing (`writePyTree`) produces what Orbax's PyTreeCheckpointHandler
 * writes, byte for byte in the JSON files: `_METADATA`, `_sharding` (single
 * device "cpu:0"), `array_metadatas/process_0`, `_strings.json` for string
 * leaves, and one zarr v2 array per array or scalar leaf (zstd level 1 or
 * uncompressed), as plain folders (`layout: "zarr2"`, Orbax's
 * use_ocdbt=False) or inside an OCDBT database (`layout: "ocdbt"`, Orbax's
 * default: `manifest.ocdbt` + `d/`; values over 1024 bytes packed into data
 * files). Python Orbax restores both. Arrays are one chunk unless larger than
 * 2 GiB (256 MiB with zstd), then split along the first axis. Large zstd
 * frames are compressed on worker threads.
 *
 * Reading (`readPyTree`, `readPyTreeMetadata`) takes every layout real Orbax
 * writes: zarr v2 or v3 (sharded, crc32c index) arrays, plain or in OCDBT
 * (any tree height, out-of-line values, base paths; CRC-32C checked), the
 * legacy msgpack `checkpoint` aggregate file, and item folders without
 * `_METADATA` (tree rebuilt from the array names). Damaged input fails with
 * an error naming the file and the problem.
 *
 * Extensions to the interface agreed with the managers layer:
 * - Scalar leaves carry an optional `dtype` ("int64" for a Python int,
 *   "float64" for a Python float), filled in on read.
 * - `WriteOptions.customMetadata` fills `_METADATA`'s custom_metadata, which
 *   `readPyTreeMetadata` returns.
 * - `decodeToTypedArray` takes an optional third argument naming the leaf in
 *   range errors, and returns float16 as a Uint16Array of bit patterns.
 * - Sequence keys are written as Orbax writes them: the string "0" with
 *   key_type 1, `('layers', '0', 'kernel', 'value')`; read back as numbers.
 * - Leaves Orbax writes for None / empty containers are skipped on read.
 * - Keys may not be empty or contain "/", and two leaves may not share a
 *   stored name (keys joined with "."): writePyTree refuses them up front.
 */
export type { DeferredArray, HeldBytes, HostArray, KeyType, LeafEntry, LeafToWrite, LeafMetadata, LeafPath, LeafValue, PyTreeMetadata, ReadOptions, StoredDType, WriteOptions } from "./types.js";
export { decodeToTypedArray, encodeFromTypedArray, type DecodeTarget, type DecodedArray } from "./convert.js";
export { readPyTree, readPyTreeMetadata } from "./read.js";
export { writePyTree } from "./write.js";
export { paramName } from "./leaf-path.js";
export { STORED_DTYPES } from "./dtype.js";
