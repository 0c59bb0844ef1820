import { mapWithLimit } from "./concurrency.js";
import { elementCount, itemSize } from "./dtype.js";
import { paramName } from "./leaf-path.js";
import { type OpenedItem, openItem } from "./open-item.js";
import type { TreeMetadataEntry } from "./tree-metadata.js";
import type { Storage } from "../storage/storage.js";
import type { LeafEntry, LeafMetadata, LeafValue, PyTreeMetadata, ReadOptions } from "./types.js";
import { convertScalar } from "./scalar.js";
import { openZarrArray, readZarrArray } from "./zarr/read-array.js";

/** Files open at once: enough to keep the disk busy, few enough for any fd limit. */
const PARALLEL_READS = 16;

function stringLeaf(item: OpenedItem, entry: TreeMetadataEntry): LeafValue {
  const name = paramName(entry.path);
  const value = item.strings?.[name];
  if (typeof value !== "string") {
    throw new Error(`${item.dir}/_strings.json: string leaf "${name}" is ${item.strings ? "missing from it" : "missing (the file does not exist)"}`);
  }
  return { kind: "string", value };
}

export async function readPyTreeMetadata(dir: string, storage?: Storage): Promise<PyTreeMetadata> {
  const item = await openItem(dir, storage);
  const versions = new Set<2 | 3>();
  const leaves = await mapWithLimit(item.entries, PARALLEL_READS, async (entry): Promise<LeafMetadata> => {
    const { path } = entry;
    if (entry.valueType === "string") return { path, kind: "string" };
    const aggregated = item.aggregate?.lookup(path);
    if (aggregated) {
      return aggregated.kind === "array" ? { path, kind: "array", dtype: aggregated.array.dtype, shape: aggregated.array.shape } : { path, kind: aggregated.kind };
    }
    if (entry.valueType === "scalar") return { path, kind: "scalar" };
    const layout = await openZarrArray(item.arrays, paramName(path));
    versions.add(layout.zarrVersion);
    return { path, kind: "array", dtype: layout.dtype, shape: layout.shape };
  });
  const zarrVersion = item.useZarr3 === undefined ? (versions.has(3) ? 3 : 2) : item.useZarr3 ? 3 : 2;
  return { leaves, layout: item.layout, zarrVersion, ...(item.customMetadata !== undefined ? { customMetadata: item.customMetadata } : {}) };
}

export async function readPyTree(dir: string, options: ReadOptions = {}): Promise<LeafEntry[]> {
  const item = await openItem(dir, options.storage);
  const selected = item.entries.filter((e) => !options.select || options.select(e.path));
  // Progress counts stored bytes, so every array's metadata is read first to know the total.
  const plans = await mapWithLimit(selected, PARALLEL_READS, async (entry) => {
    if (entry.valueType === "string") return { entry, read: async () => stringLeaf(item, entry), bytes: 0 };
    const aggregated = item.aggregate?.lookup(entry.path);
    if (aggregated) return { entry, read: async () => aggregated, bytes: aggregated.kind === "array" ? aggregated.array.bytes.length : 0 };
    const name = paramName(entry.path);
    const layout = await openZarrArray(item.arrays, name);
    const read = async (): Promise<LeafValue> => {
      const array = await readZarrArray(item.arrays, name, layout);
      return entry.valueType === "scalar" ? convertScalar(array, `${item.dir} leaf "${name}"`) : { kind: "array", array };
    };
    return { entry, read, bytes: elementCount(layout.shape) * itemSize(layout.dtype) };
  });
  const total = plans.reduce((a, p) => a + p.bytes, 0);
  let done = 0;
  return mapWithLimit(plans, PARALLEL_READS, async (p) => {
    const value = await p.read();
    done += p.bytes;
    options.onProgress?.(done, total);
    return { path: p.entry.path, value };
  });
}
