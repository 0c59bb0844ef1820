import { type Aggregate, parseAggregate } from "./aggregate.js";
import { fileSource, type KeyValueSource } from "./kvstore.js";
import { openOcdbt } from "./ocdbt/reader.js";
import { decodeTreeMetadata, type TreeMetadataEntry } from "./tree-metadata.js";
import type { KeyType } from "./types.js";
import { parseJsonObject } from "./zarr/json.js";
import { fileStorage } from "../storage/file-storage.js";
import { joinLocation } from "../storage/location.js";
import type { Storage } from "../storage/storage.js";

/** Orbax's value types for empty containers and None: nothing is stored for them. */
const EMPTY_VALUE_TYPES = new Set(["None", "Dict", "List", "Tuple", "NamedTuple", "Unknown", "placeholder"]);

/** Everything needed to find each leaf of an item folder, whatever its layout. */
export interface OpenedItem {
  dir: string;
  entries: TreeMetadataEntry[];
  layout: "zarr2" | "ocdbt";
  /** From `_METADATA`'s use_zarr3 when present; otherwise found from the arrays. */
  useZarr3: boolean | undefined;
  customMetadata: unknown;
  arrays: KeyValueSource;
  aggregate: Aggregate | undefined;
  strings: Record<string, unknown> | undefined;
}

export async function openItem(dir: string, storage: Storage = fileStorage): Promise<OpenedItem> {
  const kind = await storage.kind(dir);
  if (kind === undefined) throw new Error(`${dir} is missing`);
  if (kind === "file") throw new Error(`${dir} is a file where a checkpoint item folder was expected`);

  const metadataPath = joinLocation(dir, "_METADATA");
  const metadataBytes = await storage.read(metadataPath);
  const metadata = metadataBytes ? decodeTreeMetadata(metadataBytes, metadataPath) : undefined;

  const useOcdbt = metadata?.useOcdbt ?? ((await storage.kind(joinLocation(dir, "manifest.ocdbt"))) !== undefined || (await storage.kind(joinLocation(dir, "d"))) !== undefined);
  const ocdbt = useOcdbt ? await openOcdbt(dir, storage) : undefined;
  const arrays = ocdbt ?? fileSource(dir, storage);

  const aggregatePath = joinLocation(dir, "checkpoint");
  const aggregate = (await storage.kind(aggregatePath)) === "file" ? parseAggregate((await storage.read(aggregatePath))!, aggregatePath) : undefined;

  const stringsPath = joinLocation(dir, "_strings.json");
  const stringsBytes = await storage.read(stringsPath);
  const strings = stringsBytes ? parseJsonObject(stringsBytes, stringsPath) : undefined;

  const entries = (metadata?.entries ?? (await inferEntries(dir, storage, ocdbt?.keys(), strings))).filter((e) => !EMPTY_VALUE_TYPES.has(e.valueType));
  if (!metadata && entries.length === 0 && !aggregate) {
    throw new Error(`${dir} holds no checkpoint: no _METADATA, no arrays, no aggregate "checkpoint" file`);
  }
  return {
    dir,
    entries,
    layout: useOcdbt ? "ocdbt" : "zarr2",
    useZarr3: metadata?.useZarr3,
    customMetadata: metadata?.customMetadata,
    arrays,
    aggregate,
    strings,
  };
}

/**
 * Without `_METADATA` the tree is rebuilt from the stored array names: keys
 * split at ".", all-digit keys taken as list positions (Orbax's names lose
 * the difference, so a dict key "0" reads back as index 0).
 */
async function inferEntries(dir: string, storage: Storage, ocdbtKeys: string[] | undefined, strings: Record<string, unknown> | undefined): Promise<TreeMetadataEntry[]> {
  const names = new Set<string>();
  const marker = /^(.*)\/(\.zarray|zarr\.json)$/;
  if (ocdbtKeys) {
    for (const k of ocdbtKeys) {
      const m = marker.exec(k);
      if (m) names.add(m[1]);
    }
  } else {
    for (const entry of await storage.list(dir)) {
      if (entry.kind !== "folder") continue;
      const isArray = async (marker: string) => (await storage.kind(joinLocation(dir, entry.name, marker))) === "file";
      if ((await isArray(".zarray")) || (await isArray("zarr.json"))) names.add(entry.name);
    }
  }
  const toEntry = (name: string, valueType: string): TreeMetadataEntry => {
    const parts = name.split(".");
    const keyTypes: KeyType[] = parts.map((p) => (/^\d+$/.test(p) ? 1 : 2));
    return { path: { keys: parts.map((p, i) => (keyTypes[i] === 1 ? Number(p) : p)), keyTypes }, valueType, skipDeserialize: false };
  };
  return [...[...names].sort().map((n) => toEntry(n, "jax.Array")), ...Object.keys(strings ?? {}).sort().map((n) => toEntry(n, "string"))];
}
