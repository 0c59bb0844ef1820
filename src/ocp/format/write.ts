import { chooseChunkShape, chunkBytes, chunkCount, chunkKey } from "./chunking.js";
import { mapWithLimit, oneAtATime } from "./concurrency.js";
import { elementCount, isStoredDType, itemSize } from "./dtype.js";
import { paramName, validateLeafPath } from "./leaf-path.js";
import { OWN_FILE_BYTES, writeOcdbt, type OcdbtValue } from "./ocdbt/writer.js";
import { pythonJsonDumps } from "./python-json.js";
import { scalarToArray } from "./scalar.js";
import { encodeTreeMetadata, type ValueType } from "./tree-metadata.js";
import type { HeldBytes, HostArray, LeafPath, LeafToWrite, StoredDType, WriteOptions } from "./types.js";
import { zarrayJson } from "./zarr/v2.js";
import { fileStorage } from "../storage/file-storage.js";
import { joinLocation as join } from "../storage/location.js";
import { reusingZstdCompressor, zstdChunkBytes } from "./zstd.js";

/** Orbax caps a chunk at its OCDBT target data file size (2 GiB); larger arrays are chunked along the first axis. */
const MAX_CHUNK_BYTES = 2 ** 31;
const PARALLEL_FILES = 16;
/** Chunks of one array in flight at once (arrays are PARALLEL_FILES at once too). */
const PARALLEL_CHUNKS = 4;
const SINGLE_DEVICE_SHARDING = pythonJsonDumps({ sharding_type: "SingleDeviceSharding", device_str: "cpu:0" });

interface ArrayToWrite {
  name: string;
  path: LeafPath;
  dtype: StoredDType;
  shape: number[];
  chunkShape: number[];
  valueType: ValueType;
  /** The bytes: at hand, or fetched in turn with the other deferred arrays. */
  load(): Promise<HostArray>;
}

function validateLayout(dtype: StoredDType, shape: number[], what: string): void {
  if (!isStoredDType(dtype)) throw new Error(`${what}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${what}: invalid shape ${JSON.stringify(shape)}`);
  }
}

function validateBytes(array: HostArray, what: string): void {
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
 * Deferred arrays are fetched one at a time as the writer reaches them, and
 * the bytes they lend are released once all of the array's chunks are
 * written (or when writePyTree fails). Resolves once every file is written
 * and closed; fsync and commit are the caller's.
 */
export async function writePyTree(dir: string, leaves: LeafToWrite[], options: WriteOptions): Promise<{ bytesWritten: number }> {
  if (options.compression !== "zstd" && options.compression !== "none") throw new Error(`writePyTree: compression must be "zstd" or "none", got ${JSON.stringify(options.compression)}`);
  if (options.layout !== "zarr2" && options.layout !== "ocdbt") throw new Error(`writePyTree: layout must be "zarr2" or "ocdbt", got ${JSON.stringify(options.layout)}`);

  const lent = new Map<string, HeldBytes>();
  try {
    return await writeLeaves(dir, leaves, options, lent);
  } finally {
    for (const fetched of lent.values()) fetched.release();
  }
}

/** `lent` holds the fetched bytes of each array (by stored name) until its last chunk is written. */
async function writeLeaves(dir: string, leaves: LeafToWrite[], options: WriteOptions, lent: Map<string, HeldBytes>): Promise<{ bytesWritten: number }> {
  const arrays: ArrayToWrite[] = [];
  const strings: Record<string, string> = {};
  const metadataLeaves: { path: LeafPath; valueType: ValueType; writeShape?: number[] }[] = [];
  const names = new Map<string, LeafPath>();
  const inTurn = oneAtATime();
  const maxChunkBytes = options.compression === "zstd" ? zstdChunkBytes : MAX_CHUNK_BYTES;
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
      const array = scalarToArray(v.value, v.dtype, what);
      arrays.push({ name, path: leaf.path, dtype: array.dtype, shape: array.shape, chunkShape: [], valueType: "scalar", load: async () => array });
      metadataLeaves.push({ path: leaf.path, valueType: "scalar" });
    } else if (v.kind === "array" || v.kind === "deferred") {
      const { dtype, shape } = v.kind === "array" ? v.array : v;
      validateLayout(dtype, shape, what);
      let load: () => Promise<HostArray>;
      if (v.kind === "array") {
        validateBytes(v.array, what);
        load = async () => v.array;
      } else {
        let fetched: Promise<HostArray> | undefined;
        load = () =>
          (fetched ??= inTurn(async () => {
            const host = await v.fetch();
            lent.set(name, host);
            const array = { dtype, shape, bytes: host.bytes };
            validateBytes(array, what);
            return array;
          }));
      }
      arrays.push({ name, path: leaf.path, dtype, shape, chunkShape: chooseChunkShape(shape, itemSize(dtype), maxChunkBytes), valueType: "jax.Array", load });
      metadataLeaves.push({ path: leaf.path, valueType: "jax.Array", writeShape: shape });
    } else {
      throw new Error(`${what}: unknown leaf kind ${JSON.stringify((v as { kind?: unknown }).kind)}`);
    }
  }

  const storage = options.storage ?? fileStorage;
  await storage.makeFolder(dir);
  const total = arrays.reduce((a, x) => a + elementCount(x.shape) * itemSize(x.dtype), 0);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  const compressor = reusingZstdCompressor(1);
  const encode = async (raw: Uint8Array): Promise<HeldBytes> => (options.compression === "zstd" ? compressor.compress(raw) : { bytes: raw, release: () => undefined });
  const chunkIndices = (a: ArrayToWrite) => Array.from({ length: chunkCount(a, a.chunkShape) }, (_, i) => i);
  const chunksLeft = new Map(arrays.map((a) => [a.name, chunkCount(a, a.chunkShape)]));
  const chunkWritten = (name: string) => {
    const left = chunksLeft.get(name)! - 1;
    chunksLeft.set(name, left);
    if (left > 0) return;
    lent.get(name)?.release();
    lent.delete(name);
  };
  let bytesWritten = 0;
  const put = async (path: string, data: Uint8Array | string, flush = false) => {
    await storage.write(path, data, flush);
    bytesWritten += typeof data === "string" ? Buffer.byteLength(data) : data.length;
  };

  if (options.layout === "zarr2") {
    await mapWithLimit(arrays, PARALLEL_FILES, async (a) => {
      await storage.makeFolder(join(dir, a.name));
      await put(join(dir, a.name, ".zarray"), zarrayJson(a.dtype, a.shape, a.chunkShape, options.compression));
      const array = await a.load();
      await mapWithLimit(chunkIndices(a), PARALLEL_CHUNKS, async (i) => {
        const raw = chunkBytes(array, a.chunkShape, i);
        const encoded = await encode(raw);
        try {
          await put(join(dir, a.name, chunkKey(a.shape, i)), encoded.bytes, options.flush);
        } finally {
          encoded.release();
        }
        progress(raw.length);
        chunkWritten(a.name);
      });
    });
  } else {
    // Chunks of OWN_FILE_BYTES or more are fetched and encoded as they are written, each array's into one data file; smaller ones are packed, so they are made first.
    const chunkRawBytes = (a: ArrayToWrite) => elementCount(a.chunkShape) * itemSize(a.dtype);
    /** Each encoded chunk's array and raw size (for progress and for giving the array's bytes back) and its encoded bytes' release. */
    const chunks = new Map<string, { array: string; rawBytes: number; release(): void }>();
    const values: OcdbtValue[] = [];
    const encodeChunk = async (a: ArrayToWrite, i: number, key: string) => {
      const raw = chunkBytes(await a.load(), a.chunkShape, i);
      const encoded = await encode(raw);
      chunks.set(key, { array: a.name, rawBytes: raw.length, release: encoded.release });
      return encoded.bytes;
    };
    for (const a of arrays) {
      values.push({ key: `${a.name}/.zarray`, bytes: new TextEncoder().encode(zarrayJson(a.dtype, a.shape, a.chunkShape, options.compression)) });
      if (chunkRawBytes(a) < OWN_FILE_BYTES) continue;
      for (const i of chunkIndices(a)) {
        const key = `${a.name}/${chunkKey(a.shape, i)}`;
        values.push({ key, sequence: a.name, produce: () => encodeChunk(a, i, key) });
      }
    }
    const small = arrays.filter((a) => chunkRawBytes(a) < OWN_FILE_BYTES).flatMap((a) => chunkIndices(a).map((i) => ({ a, i, key: `${a.name}/${chunkKey(a.shape, i)}` })));
    values.push(...(await mapWithLimit(small, PARALLEL_FILES, async ({ a, i, key }) => ({ key, bytes: await encodeChunk(a, i, key) }))));
    const onValueWritten = (key: string) => {
      const chunk = chunks.get(key);
      progress(chunk?.rawBytes ?? 0);
      if (chunk === undefined) return;
      chunk.release();
      chunkWritten(chunk.array);
    };
    bytesWritten += await writeOcdbt(dir, values, { onValueWritten, flush: options.flush, storage });
  }

  const jaxArrays = arrays.filter((a) => a.valueType === "jax.Array");
  const sharding: Record<string, string> = {};
  for (const a of jaxArrays) sharding[Buffer.from(a.name).toString("base64")] = SINGLE_DEVICE_SHARDING;
  const arrayMetadatas = {
    array_metadatas: jaxArrays.map((a) => ({ array_metadata: { param_name: a.name, write_shape: a.shape, chunk_shape: a.chunkShape, ext_metadata: null } })),
  };
  await storage.makeFolder(join(dir, "array_metadatas"));
  await Promise.all([
    put(join(dir, "_METADATA"), encodeTreeMetadata(metadataLeaves, { useOcdbt: options.layout === "ocdbt", customMetadata: options.customMetadata })),
    put(join(dir, "_sharding"), JSON.stringify(sharding)),
    put(join(dir, "array_metadatas", "process_0"), pythonJsonDumps(arrayMetadatas)),
    ...(Object.keys(strings).length > 0 ? [put(join(dir, "_strings.json"), JSON.stringify(strings))] : []),
  ]);
  if (total === 0) options.onProgress?.(0, 0);
  return { bytesWritten };
}
