import { elementCount, isStoredDType, itemSize, swapBytes } from "../dtype.js";
import type { StoredDType } from "../types.js";
import type { ArrayLayout } from "./array-layout.js";
import { chunkIndices, copyChunkInto } from "./chunk-grid.js";
import { checkCrc32c, decompress } from "./codecs.js";
import { fillValueBytes, repeatFill } from "./fill-value.js";
import { shapeField } from "./json.js";

interface CodecSpec {
  name: string;
  configuration?: Record<string, unknown>;
}

type ChunkDecoder = (stored: Uint8Array, what: string) => Promise<Uint8Array>;

const MISSING = 0xffffffffffffffffn;

function codecList(value: unknown, what: string): CodecSpec[] {
  if (!Array.isArray(value) || !value.every((c) => typeof c === "object" && c !== null && typeof (c as CodecSpec).name === "string")) {
    throw new Error(`${what}: "codecs" must be a list of {name, configuration} objects`);
  }
  return value as CodecSpec[];
}

/** Builds the decoder for a zarr v3 codec chain producing C-order little-endian chunks of `shape`. */
function chainDecoder(codecs: CodecSpec[], shape: number[], dtype: StoredDType, fill: Uint8Array, what: string): ChunkDecoder {
  const arrayToBytes = codecs.findIndex((c) => c.name === "bytes" || c.name === "sharding_indexed");
  if (arrayToBytes < 0) throw new Error(`${what}: codec chain has no "bytes" or "sharding_indexed" codec`);
  const before = codecs.slice(0, arrayToBytes);
  if (before.length > 0) throw new Error(`${what}: array-to-array codecs (${before.map((c) => c.name).join(", ")}) are not supported`);
  const after = codecs.slice(arrayToBytes + 1);
  const central = codecs[arrayToBytes];
  const size = itemSize(dtype);
  const inner: ChunkDecoder =
    central.name === "bytes"
      ? async (bytes, w) => {
          const expected = elementCount(shape) * size;
          if (bytes.length !== expected) throw new Error(`${w}: chunk holds ${bytes.length} bytes, expected ${expected} (truncated or corrupt)`);
          if (central.configuration?.endian === "big" && size > 1) {
            const copy = new Uint8Array(bytes);
            swapBytes(copy, size);
            return copy;
          }
          return bytes;
        }
      : shardDecoder(central.configuration ?? {}, shape, dtype, fill, what);
  return async (stored, w) => {
    let bytes = stored;
    for (let i = after.length - 1; i >= 0; i--) {
      bytes = after[i].name === "crc32c" ? checkCrc32c(bytes, w) : await decompress(after[i].name, bytes, w);
    }
    return inner(bytes, w);
  };
}

function shardDecoder(config: Record<string, unknown>, shardShape: number[], dtype: StoredDType, fill: Uint8Array, what: string): ChunkDecoder {
  const innerShape = shapeField(config.chunk_shape, "sharding_indexed.chunk_shape", what);
  if (innerShape.length !== shardShape.length || innerShape.some((c, d) => c === 0 || shardShape[d] % c !== 0)) {
    throw new Error(`${what}: inner chunk shape ${JSON.stringify(innerShape)} does not divide the shard shape ${JSON.stringify(shardShape)}`);
  }
  const innerDecode = chainDecoder(codecList(config.codecs, what), innerShape, dtype, fill, what);
  const indexCodecs = codecList(config.index_codecs ?? [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }], what);
  const unknown = indexCodecs.filter((c) => c.name !== "bytes" && c.name !== "crc32c");
  if (unknown.length > 0) throw new Error(`${what}: unsupported shard index codecs ${unknown.map((c) => c.name).join(", ")}`);
  const indexHasCrc = indexCodecs.some((c) => c.name === "crc32c");
  const indexBigEndian = indexCodecs.some((c) => c.name === "bytes" && c.configuration?.endian === "big");
  const location = config.index_location ?? "end";
  if (location !== "end" && location !== "start") throw new Error(`${what}: invalid index_location ${JSON.stringify(location)}`);
  const grid = chunkIndices(shardShape, innerShape);
  const indexBytes = grid.length * 16 + (indexHasCrc ? 4 : 0);
  const size = itemSize(dtype);

  return async (shard, w) => {
    if (shard.length < indexBytes) throw new Error(`${w}: shard is ${shard.length} bytes, too short for its ${indexBytes}-byte index (truncated)`);
    const rawIndex = location === "end" ? shard.subarray(shard.length - indexBytes) : shard.subarray(0, indexBytes);
    const index = indexHasCrc ? checkCrc32c(rawIndex, `${w} (shard index)`) : rawIndex;
    const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
    const out = repeatFill(fill, elementCount(shardShape));
    await Promise.all(
      grid.map(async (inner, i) => {
        const offset = view.getBigUint64(16 * i, !indexBigEndian);
        const nbytes = view.getBigUint64(16 * i + 8, !indexBigEndian);
        if (offset === MISSING && nbytes === MISSING) return;
        if (offset + nbytes > BigInt(shard.length)) throw new Error(`${w}: inner chunk ${JSON.stringify(inner)} lies outside the shard (truncated or corrupt)`);
        const decoded = await innerDecode(shard.subarray(Number(offset), Number(offset + nbytes)), `${w} inner chunk ${JSON.stringify(inner)}`);
        copyChunkInto(out, shardShape, decoded, innerShape, inner, size);
      }),
    );
    return out;
  };
}

export function parseZarrJson(meta: Record<string, unknown>, what: string): ArrayLayout {
  if (meta.zarr_format !== 3) throw new Error(`${what}: expected zarr_format 3, got ${JSON.stringify(meta.zarr_format)}`);
  if (meta.node_type !== "array") throw new Error(`${what}: node_type is ${JSON.stringify(meta.node_type)}, expected "array"`);
  if (!isStoredDType(meta.data_type)) throw new Error(`${what}: unsupported data_type ${JSON.stringify(meta.data_type)}`);
  const dtype = meta.data_type;
  const shape = shapeField(meta.shape, "shape", what);
  const grid = meta.chunk_grid as CodecSpec | undefined;
  if (grid?.name !== "regular") throw new Error(`${what}: only the "regular" chunk_grid is supported, got ${JSON.stringify(grid?.name)}`);
  const chunkShape = shapeField(grid.configuration?.chunk_shape, "chunk_grid.chunk_shape", what);
  if (chunkShape.length !== shape.length) throw new Error(`${what}: chunk shape ${JSON.stringify(chunkShape)} and shape ${JSON.stringify(shape)} differ in rank`);
  const encoding = (meta.chunk_key_encoding ?? { name: "default" }) as CodecSpec;
  const defaultSeparator = encoding.name === "v2" ? "." : "/";
  const separator = (encoding.configuration?.separator as string | undefined) ?? defaultSeparator;
  if (encoding.name !== "default" && encoding.name !== "v2") throw new Error(`${what}: unsupported chunk_key_encoding ${JSON.stringify(encoding.name)}`);
  const fill = fillValueBytes(meta.fill_value, dtype, what);
  return {
    zarrVersion: 3,
    dtype,
    shape,
    chunkShape,
    chunkKey: (index) =>
      encoding.name === "v2" ? (index.length === 0 ? "0" : index.join(separator)) : ["c", ...index].join(separator),
    fill,
    decodeChunk: chainDecoder(codecList(meta.codecs, what), chunkShape, dtype, fill, what),
  };
}
