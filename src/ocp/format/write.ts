import { join } from "node:path";
import { chooseChunkShape, chunkBytes, chunkCount, chunkKey } from "./chunking.js";
import { mapWithLimit } from "./concurrency.js";
import { mkdirNamed, writeFileNamed } from "./file-errors.js";
import { elementCount, isStoredDType, itemSize } from "./dtype.js";
import { paramName, validateLeafPath } from "./leaf-path.js";
import { writeOcdbt } from "./ocdbt/writer.js";
import { pythonJsonDumps } from "./python-json.js";
import { scalarToArray } from "./scalar.js";
import { encodeTreeMetadata, type ValueType } from "./tree-metadata.js";
import type { HostArray, LeafEntry, LeafPath, WriteOptions } from "./types.js";
import { zarrayJson } from "./zarr/v2.js";
import { zstdCompress } from "./zstd.js";

/** Orbax caps a chunk at its OCDBT target data file size (2 GiB); larger arrays are chunked along the first axis. */
const MAX_CHUNK_BYTES = 2 ** 31;
/** zstd runs in 32-bit wasm, which must hold a chunk and its compressed copy at once: compressed chunks stay smaller. */
const MAX_ZSTD_CHUNK_BYTES = 2 ** 28;
const PARALLEL_FILES = 16;
const SINGLE_DEVICE_SHARDING = pythonJsonDumps({ sharding_type: "SingleDeviceSharding", device_str: "cpu:0" });

interface ArrayToWrite {
  name: string;
  path: LeafPath;
  array: HostArray;
  chunkShape: number[];
  valueType: ValueType;
}

function validateArray(array: HostArray, what: string): void {
  if (!isStoredDType(array.dtype)) throw new Error(`${what}: unknown dtype ${JSON.stringify(array.dtype)}`);
  if (!Array.isArray(array.shape) || !array.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${what}: invalid shape ${JSON.stringify(array.shape)}`);
  }
  const expected = elementCount(array.shape) * itemSize(array.dtype);
  if (!(array.bytes instanceof Uint8Array) || array.bytes.length !== expected) {
    throw new Error(`${what}: ${array.dtype}${JSON.stringify(array.shape)} needs ${expected} bytes, got ${array.bytes?.length}`);
  }
}

/**
 * Writes an Orbax PyTreeCheckpointHandler item folder: `_METADATA`,
 * `_sharding`, `array_metadatas/process_0`, `_strings.json` (when there are
 * string leaves), and one zarr v2 array per array or scalar leaf, as plain
 * folders (`layout: "zarr2"`) or inside an OCDBT database (`layout: "ocdbt"`).
 * Resolves once every file is written and closed; fsync and commit are the
 * caller's.
 */
export async function writePyTree(dir: string, leaves: LeafEntry[], options: WriteOptions): Promise<{ bytesWritten: number }> {
  if (options.compression !== "zstd" && options.compression !== "none") throw new Error(`writePyTree: compression must be "zstd" or "none", got ${JSON.stringify(options.compression)}`);
  if (options.layout !== "zarr2" && options.layout !== "ocdbt") throw new Error(`writePyTree: layout must be "zarr2" or "ocdbt", got ${JSON.stringify(options.layout)}`);

  const arrays: ArrayToWrite[] = [];
  const strings: Record<string, string> = {};
  const metadataLeaves: { path: LeafPath; valueType: ValueType; writeShape?: number[] }[] = [];
  const names = new Map<string, LeafPath>();
  for (const leaf of leaves) {
    validateLeafPath(leaf.path);
    const name = paramName(leaf.path);
    const what = `leaf ${JSON.stringify(leaf.path.keys)}`;
    const clash = names.get(name);
    if (clash) throw new Error(`${what}: stored name "${name}" is the same as that of leaf ${JSON.stringify(clash.keys)}; Orbax joins keys with "."`);
    names.set(name, leaf.path);
    const v = leaf.value;
    if (v.kind === "string") {
      if (typeof v.value !== "string") throw new Error(`${what}: string leaf holds ${typeof v.value}`);
      strings[name] = v.value;
      metadataLeaves.push({ path: leaf.path, valueType: "string" });
    } else if (v.kind === "scalar") {
      if (typeof v.value !== "number") throw new Error(`${what}: scalar leaf holds ${typeof v.value}`);
      arrays.push({ name, path: leaf.path, array: scalarToArray(v.value, v.dtype, what), chunkShape: [], valueType: "scalar" });
      metadataLeaves.push({ path: leaf.path, valueType: "scalar" });
    } else if (v.kind === "array") {
      validateArray(v.array, what);
      const chunkShape = chooseChunkShape(v.array.shape, itemSize(v.array.dtype), options.compression === "zstd" ? MAX_ZSTD_CHUNK_BYTES : MAX_CHUNK_BYTES);
      arrays.push({ name, path: leaf.path, array: v.array, chunkShape, valueType: "jax.Array" });
      metadataLeaves.push({ path: leaf.path, valueType: "jax.Array", writeShape: v.array.shape });
    } else {
      throw new Error(`${what}: unknown leaf kind ${JSON.stringify((v as { kind?: unknown }).kind)}`);
    }
  }

  await mkdirNamed(dir);
  const total = arrays.reduce((a, x) => a + x.array.bytes.length, 0);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  const encode = (raw: Uint8Array) => (options.compression === "zstd" ? zstdCompress(raw, 1) : Promise.resolve(raw));
  const chunks = arrays.flatMap((a) => Array.from({ length: chunkCount(a.array, a.chunkShape) }, (_, i) => ({ a, i })));
  let bytesWritten = 0;
  const put = async (path: string, data: Uint8Array | string) => {
    await writeFileNamed(path, data);
    bytesWritten += typeof data === "string" ? Buffer.byteLength(data) : data.length;
  };

  if (options.layout === "zarr2") {
    await mapWithLimit(arrays, PARALLEL_FILES, async (a) => {
      await mkdirNamed(join(dir, a.name));
      await put(join(dir, a.name, ".zarray"), zarrayJson(a.array.dtype, a.array.shape, a.chunkShape, options.compression));
    });
    await mapWithLimit(chunks, PARALLEL_FILES, async ({ a, i }) => {
      const raw = chunkBytes(a.array, a.chunkShape, i);
      await put(join(dir, a.name, chunkKey(a.array.shape, i)), await encode(raw));
      progress(raw.length);
    });
  } else {
    const rawSizes = new Map<string, number>();
    const values = await mapWithLimit(chunks, PARALLEL_FILES, async ({ a, i }) => {
      const raw = chunkBytes(a.array, a.chunkShape, i);
      const key = `${a.name}/${chunkKey(a.array.shape, i)}`;
      rawSizes.set(key, raw.length);
      return { key, bytes: await encode(raw) };
    });
    for (const a of arrays) values.push({ key: `${a.name}/.zarray`, bytes: new TextEncoder().encode(zarrayJson(a.array.dtype, a.array.shape, a.chunkShape, options.compression)) });
    bytesWritten += await writeOcdbt(dir, values, (key) => progress(rawSizes.get(key) ?? 0));
  }

  const jaxArrays = arrays.filter((a) => a.valueType === "jax.Array");
  const sharding: Record<string, string> = {};
  for (const a of jaxArrays) sharding[Buffer.from(a.name).toString("base64")] = SINGLE_DEVICE_SHARDING;
  const arrayMetadatas = {
    array_metadatas: jaxArrays.map((a) => ({ array_metadata: { param_name: a.name, write_shape: a.array.shape, chunk_shape: a.chunkShape, ext_metadata: null } })),
  };
  await mkdirNamed(join(dir, "array_metadatas"));
  await Promise.all([
    put(join(dir, "_METADATA"), encodeTreeMetadata(metadataLeaves, { useOcdbt: options.layout === "ocdbt", customMetadata: options.customMetadata })),
    put(join(dir, "_sharding"), JSON.stringify(sharding)),
    put(join(dir, "array_metadatas", "process_0"), pythonJsonDumps(arrayMetadatas)),
    ...(Object.keys(strings).length > 0 ? [put(join(dir, "_strings.json"), JSON.stringify(strings))] : []),
  ]);
  if (total === 0) options.onProgress?.(0, 0);
  return { bytesWritten };
}
