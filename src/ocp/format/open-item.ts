import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Aggregate, parseAggregate } from "./aggregate.js";
import { fileError } from "./file-errors.js";
import { fileSource, type KeyValueSource, readFileIfPresent } from "./kvstore.js";
import { openOcdbt } from "./ocdbt/reader.js";
import { decodeTreeMetadata, type TreeMetadataEntry } from "./tree-metadata.js";
import type { KeyType } from "./types.js";
import { parseJsonObject } from "./zarr/json.js";

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

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fileError(path, e);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fileError(path, e);
  }
}

export async function openItem(dir: string): Promise<OpenedItem> {
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    throw fileError(dir, e);
  }
  if (!info.isDirectory()) throw new Error(`${dir} is a file where a checkpoint item folder was expected`);

  const metadataPath = join(dir, "_METADATA");
  const metadataBytes = await readFileIfPresent(metadataPath);
  const metadata = metadataBytes ? decodeTreeMetadata(metadataBytes, metadataPath) : undefined;

  const useOcdbt = metadata?.useOcdbt ?? ((await exists(join(dir, "manifest.ocdbt"))) || (await exists(join(dir, "d"))));
  const ocdbt = useOcdbt ? await openOcdbt(dir) : undefined;
  const arrays = ocdbt ?? fileSource(dir);

  const aggregatePath = join(dir, "checkpoint");
  const aggregate = (await isFile(aggregatePath)) ? parseAggregate((await readFileIfPresent(aggregatePath))!, aggregatePath) : undefined;

  const stringsPath = join(dir, "_strings.json");
  const stringsBytes = await readFileIfPresent(stringsPath);
  const strings = stringsBytes ? parseJsonObject(stringsBytes, stringsPath) : undefined;

  const entries = (metadata?.entries ?? (await inferEntries(dir, ocdbt?.keys(), strings))).filter((e) => !EMPTY_VALUE_TYPES.has(e.valueType));
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
async function inferEntries(dir: string, ocdbtKeys: string[] | undefined, strings: Record<string, unknown> | undefined): Promise<TreeMetadataEntry[]> {
  const names = new Set<string>();
  const marker = /^(.*)\/(\.zarray|zarr\.json)$/;
  if (ocdbtKeys) {
    for (const k of ocdbtKeys) {
      const m = marker.exec(k);
      if (m) names.add(m[1]);
    }
  } else {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && ((await isFile(join(dir, entry.name, ".zarray"))) || (await isFile(join(dir, entry.name, "zarr.json"))))) names.add(entry.name);
    }
  }
  const toEntry = (name: string, valueType: string): TreeMetadataEntry => {
    const parts = name.split(".");
    const keyTypes: KeyType[] = parts.map((p) => (/^\d+$/.test(p) ? 1 : 2));
    return { path: { keys: parts.map((p, i) => (keyTypes[i] === 1 ? Number(p) : p)), keyTypes }, valueType, skipDeserialize: false };
  };
  return [...[...names].sort().map((n) => toEntry(n, "jax.Array")), ...Object.keys(strings ?? {}).sort().map((n) => toEntry(n, "string"))];
}
