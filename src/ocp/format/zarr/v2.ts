import { elementCount, itemSize, parseZarr2DType, swapBytes, zarr2DTypeName } from "../dtype.js";
import type { StoredDType } from "../types.js";
import { zstdDecompressInto } from "../zstd.js";
import type { ArrayLayout } from "./array-layout.js";
import { decompress } from "./codecs.js";
import { fillValueBytes } from "./fill-value.js";
import { shapeField } from "./json.js";

export function parseZarray(meta: Record<string, unknown>, what: string): ArrayLayout {
  if (meta.zarr_format !== 2) throw new Error(`${what}: expected zarr_format 2, got ${JSON.stringify(meta.zarr_format)}`);
  const { dtype, bigEndian } = parseZarr2DType(meta.dtype, what);
  const shape = shapeField(meta.shape, "shape", what);
  const chunkShape = shapeField(meta.chunks, "chunks", what);
  if (chunkShape.length !== shape.length) throw new Error(`${what}: chunks ${JSON.stringify(chunkShape)} and shape ${JSON.stringify(shape)} differ in rank`);
  if (chunkShape.some((c) => c === 0) && elementCount(shape) > 0) throw new Error(`${what}: chunk dimensions must be positive`);
  if (meta.order !== undefined && meta.order !== "C") throw new Error(`${what}: order ${JSON.stringify(meta.order)} is not supported (only C)`);
  if (meta.filters !== undefined && meta.filters !== null && !(Array.isArray(meta.filters) && meta.filters.length === 0)) {
    throw new Error(`${what}: zarr filters are not supported (${JSON.stringify(meta.filters)})`);
  }
  const separator = meta.dimension_separator ?? ".";
  if (separator !== "." && separator !== "/") throw new Error(`${what}: invalid dimension_separator ${JSON.stringify(separator)}`);
  const compressor = meta.compressor as { id?: unknown } | null | undefined;
  if (compressor != null && typeof compressor.id !== "string") throw new Error(`${what}: compressor has no "id"`);
  const size = itemSize(dtype);
  return {
    zarrVersion: 2,
    dtype,
    shape,
    chunkShape,
    chunkKey: (index) => (index.length === 0 ? "0" : index.join(separator)),
    fill: fillValueBytes(meta.fill_value, dtype, what),
    async decodeChunk(stored, chunkWhat) {
      const bytes = compressor ? await decompress(compressor.id as string, stored, chunkWhat) : stored;
      const expected = elementCount(chunkShape) * size;
      if (bytes.length !== expected) throw new Error(`${chunkWhat}: chunk holds ${bytes.length} bytes, expected ${expected} (truncated or corrupt)`);
      if (bigEndian) {
        const copy = new Uint8Array(bytes);
        swapBytes(copy, size);
        return copy;
      }
      return bytes;
    },
    decodeChunkInto: async (stored, into, chunkWhat) => !bigEndian && compressor?.id === "zstd" && zstdDecompressInto(stored, into, chunkWhat),
  };
}

/** The `.zarray` text Orbax (tensorstore) writes: keys sorted, no spaces. */
export function zarrayJson(dtype: StoredDType, shape: number[], chunks: number[], compression: "zstd" | "none"): string {
  return JSON.stringify({
    chunks,
    compressor: compression === "zstd" ? { id: "zstd", level: 1 } : null,
    dimension_separator: ".",
    dtype: zarr2DTypeName(dtype),
    fill_value: null,
    filters: null,
    order: "C",
    shape,
    zarr_format: 2,
  });
}
