import { elementCount, itemSize } from "../dtype.js";
import type { KeyValueSource } from "../kvstore.js";
import type { HostArray } from "../types.js";
import type { ArrayLayout } from "./array-layout.js";
import { chunkIndices, copyChunkInto } from "./chunk-grid.js";
import { repeatFill } from "./fill-value.js";
import { parseJsonObject } from "./json.js";
import { parseZarray } from "./v2.js";
import { parseZarrJson } from "./v3.js";

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
  await Promise.all(
    chunkIndices(layout.shape, layout.chunkShape).map(async (index) => {
      const key = `${name}/${layout.chunkKey(index)}`;
      const stored = await source.get(key);
      if (!stored) return;
      const chunk = await layout.decodeChunk(stored, source.describe(key));
      copyChunkInto(out, layout.shape, chunk, layout.chunkShape, index, size);
    }),
  );
  return { dtype: layout.dtype, shape: [...layout.shape], bytes: out };
}
