import { mapWithLimit } from "../concurrency.js";
import { elementCount, itemSize } from "../dtype.js";
import type { KeyValueSource } from "../kvstore.js";
import type { HostArray } from "../types.js";
import type { ArrayLayout } from "./array-layout.js";
import { chunkIndices, copyChunkInto } from "./chunk-grid.js";
import { repeatFill } from "./fill-value.js";
import { parseJsonObject } from "./json.js";
import { parseZarray } from "./v2.js";
import { parseZarrJson } from "./v3.js";

/** Chunks of one array read and decoded at once (arrays are read several at a time too). */
const PARALLEL_CHUNKS = 4;

/** Room for a stored chunk of `raw` bytes: compressed data that did not shrink is a little larger (zstd's bound), plus a checksum. */
const storedChunkBound = (raw: number) => raw + (raw >> 7) + 1024;

/** Reads the metadata of the zarr array stored under `name` (v2 `.zarray` or v3 `zarr.json`). */
export async function openZarrArray(source: KeyValueSource, name: string): Promise<ArrayLayout> {
  const v2Key = `${name}/.zarray`;
  const v2 = await source.get(v2Key);
  if (v2) return parseZarray(parseJsonObject(v2, source.describe(v2Key)), source.describe(v2Key));
  const v3Key = `${name}/zarr.json`;
  const v3 = await source.get(v3Key);
  if (v3) return parseZarrJson(parseJsonObject(v3, source.describe(v3Key)), source.describe(v3Key));
  throw new Error(`array "${name}" is missing: neither ${source.describe(v2Key)} nor ${source.describe(v3Key)} exists`);
}

/** Reads a whole array; chunks that were never written hold the fill value, as in zarr. */
export async function readZarrArray(source: KeyValueSource, name: string, layout: ArrayLayout): Promise<HostArray> {
  const size = itemSize(layout.dtype);
  if (layout.shape.every((d, i) => d === layout.chunkShape[i]) && elementCount(layout.shape) > 0) {
    // One chunk covering the array exactly (Orbax's usual choice): its decoded bytes are the array.
    const key = `${name}/${layout.chunkKey(layout.shape.map(() => 0))}`;
    const stored = await source.get(key);
    // Returned as they are, perhaps a view into a packed data file read whole: every consumer copies anyway (into a device, or a typed array of its own).
    const bytes = stored ? await layout.decodeChunk(stored, source.describe(key)) : repeatFill(layout.fill, elementCount(layout.shape));
    return { dtype: layout.dtype, shape: [...layout.shape], bytes };
  }
  const out = repeatFill(layout.fill, elementCount(layout.shape));
  const chunkSize = elementCount(layout.chunkShape) * size;
  // Chunks cut along the first axis only (as tsnnx writes them) are contiguous runs of the array: whole ones decode in place.
  const contiguous = layout.chunkShape.every((c, d) => d === 0 || c === layout.shape[d]);
  // Each chunk in flight reads into a buffer a finished one gave back: fresh memory costs more to fault in than to fill.
  const spare: Uint8Array[] = [];
  await mapWithLimit(chunkIndices(layout.shape, layout.chunkShape), PARALLEL_CHUNKS, async (index) => {
    const key = `${name}/${layout.chunkKey(index)}`;
    const scratch = spare.pop() ?? new Uint8Array(storedChunkBound(chunkSize));
    try {
      const stored = await source.get(key, scratch);
      if (!stored) return;
      const start = contiguous && index.length > 0 ? index[0] * chunkSize : -1;
      if (start >= 0 && start + chunkSize <= out.length && (await layout.decodeChunkInto?.(stored, out.subarray(start, start + chunkSize), source.describe(key)))) return;
      const chunk = await layout.decodeChunk(stored, source.describe(key));
      copyChunkInto(out, layout.shape, chunk, layout.chunkShape, index, size);
    } finally {
      spare.push(scratch);
    }
  });
  return { dtype: layout.dtype, shape: [...layout.shape], bytes: out };
}
