/**
 * One checkpoint item (a folder): a tree of arrays in Orbax's PyTree format,
 * or a JSON value. Saving is split in two: `stageItem` captures the values
 * (what the caller waits for), `writeItem` reads and writes them out (what
 * runs in the background); `releaseItem` lets go of an item never written.
 */
import { readPyTree, readPyTreeMetadata, writePyTree, type LeafPath } from "./format/index.js";
import type { ItemRestoreArgs, ItemSaveArgs } from "./args.js";
import { writeCommitMarker } from "./atomic.js";
import { handlerTypes } from "./checkpoint-metadata.js";
import { CheckpointError } from "./errors.js";
import { snapshotLeaf, type LeafSnapshot } from "./host.js";
import type { OnProgress } from "./progress.js";
import { pathKey, planRestore, type RestoreReport } from "./restore-plan.js";
import { joinLocation } from "./storage/location.js";
import type { Storage } from "./storage/storage.js";
import { flattenTree, pathName } from "./tree.js";

export type StagedItem =
  | { kind: "pytree"; handler: string; leaves: { path: LeafPath; snapshot: LeafSnapshot }[] }
  | { kind: "json"; handler: string; text: string; fileName: string };

export interface ItemWriteOptions {
  compression: "zstd" | "none";
  layout: "zarr2" | "ocdbt";
  onProgress?: OnProgress;
}

/** v0 Orbax writes a JSON item to `<item>/metadata` (a manager's metrics to `metrics/metrics`); the v1 API to `<item>/data.json`. */
const JSON_FILE_V0 = "metadata";
export const METRICS_FILE = "metrics";
const JSON_FILE_V1 = "data.json";

export function stageItem(args: ItemSaveArgs, what: string, jsonFileName = JSON_FILE_V0): StagedItem {
  if (args.kind === "JsonSave") {
    const text = JSON.stringify(args.item);
    if (text === undefined) throw new Error(`${what}: JsonSave needs a JSON-serializable value, got ${typeof args.item}`);
    return { kind: "json", handler: handlerTypes.json, text, fileName: jsonFileName };
  }
  const leaves = flattenTree(args.item);
  const seen = new Map<string, string>();
  for (const leaf of leaves) {
    const name = pathName(leaf.keys);
    const key = JSON.stringify(leaf.keys.map(String));
    if (seen.has(name) && seen.get(name) !== key) {
      throw new Error(`${what}: two leaves would both be stored as "${name}" (a key containing "." collides with a nested path)`);
    }
    seen.set(name, key);
  }
  const staged: StagedItem = { kind: "pytree", handler: args.kind === "PyTreeSave" ? handlerTypes.pytree : handlerTypes.standard, leaves: [] };
  try {
    for (const leaf of leaves) staged.leaves.push({ path: { keys: leaf.keys, keyTypes: leaf.keyTypes }, snapshot: snapshotLeaf(leaf.leaf, pathName(leaf.keys)) });
  } catch (e) {
    releaseItem(staged);
    throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
  }
  return staged;
}

/** Lets go of the arrays a staged item holds, if it was never written. */
export function releaseItem(item: StagedItem): void {
  if (item.kind === "pytree") for (const leaf of item.leaves) leaf.snapshot.release();
}

/**
 * Writes a staged item into `dir` (created here). An item of a manager's step
 * is marked committed as Orbax marks each item (`marker: "item"`); a
 * checkpointer's single item is the checkpoint folder itself, whose marker
 * the commit writes last.
 */
export async function writeItem(storage: Storage, dir: string, item: StagedItem, finalDir: string, options: ItemWriteOptions, marker: "item" | "checkpoint"): Promise<number> {
  await storage.makeFolder(dir);
  let bytes: number;
  if (item.kind === "json") {
    await storage.write(joinLocation(dir, item.fileName), item.text, true);
    bytes = item.text.length;
  } else {
    const onProgress = options.onProgress;
    try {
      const result = await writePyTree(dir, item.leaves.map((leaf) => ({ path: leaf.path, value: leaf.snapshot.value() })), {
        storage,
        compression: options.compression,
        layout: options.layout,
        // The commit fsyncs every file; flushing array data as it is written overlaps that with the rest of the write.
        flush: true,
        onProgress: onProgress && ((doneBytes, totalBytes) => onProgress({ phase: "save", path: finalDir, doneBytes, totalBytes })),
      });
      bytes = result.bytesWritten;
    } finally {
      // Arrays with no elements are never fetched: their references are dropped here.
      releaseItem(item);
    }
  }
  if (marker === "item") await writeCommitMarker(storage, dir, finalDir);
  return bytes;
}

/** Throws a clear error unless `dir` is an existing folder. */
export function requireDir(storage: Storage, dir: string, what: string): void {
  let kind;
  try {
    kind = storage.kindSync(dir);
  } catch (e) {
    throw new CheckpointError(`${what}: cannot read ${dir} (${(e as Error).message})`, { cause: e });
  }
  if (kind === undefined) throw new CheckpointError(`${what}: ${dir} does not exist`);
  if (kind === "file") throw new CheckpointError(`${what}: ${dir} is a file, not a checkpoint folder`);
}

const JSON_FILES = [JSON_FILE_V0, METRICS_FILE, JSON_FILE_V1];

async function jsonItemFile(storage: Storage, dir: string): Promise<string | undefined> {
  for (const file of JSON_FILES.map((f) => joinLocation(dir, f))) if ((await storage.kind(file)) === "file") return file;
  return undefined;
}

export async function isJsonItem(storage: Storage, dir: string): Promise<boolean> {
  return (await jsonItemFile(storage, dir)) !== undefined;
}

async function readJsonItem(storage: Storage, dir: string): Promise<unknown> {
  const file = await jsonItemFile(storage, dir);
  if (file === undefined) throw new CheckpointError(`${dir} holds no JSON item (none of ${JSON_FILES.join(", ")})`);
  let text: string;
  try {
    const bytes = await storage.read(file);
    if (bytes === undefined) throw new Error("it is missing");
    text = new TextDecoder().decode(bytes);
  } catch (e) {
    throw new CheckpointError(`Cannot read the JSON item ${file} (${(e as Error).message})`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** Restores one item folder; a tree restore fills `report`. */
export async function restoreItem(storage: Storage, dir: string, args: ItemRestoreArgs | undefined, report: RestoreReport, onProgress?: OnProgress): Promise<unknown> {
  requireDir(storage, dir, "restore");
  if (args?.kind === "JsonRestore" || (args === undefined && (await isJsonItem(storage, dir)))) return readJsonItem(storage, dir);
  let stored;
  try {
    stored = await readPyTreeMetadata(dir, storage);
  } catch (e) {
    throw new CheckpointError(`Cannot read the checkpoint tree at ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const plan = planRestore(stored.leaves, args?.template, args?.options ?? {}, dir);
  const entries = await readPyTree(dir, {
    storage,
    select: (p) => plan.wanted.has(pathKey(p.keys)),
    onProgress: onProgress && ((doneBytes, totalBytes) => onProgress({ phase: "restore", path: dir, doneBytes, totalBytes })),
  });
  const tree = plan.assemble(entries);
  report.conversions.push(...plan.report.conversions);
  report.reshaped.push(...plan.report.reshaped);
  report.skipped.push(...plan.report.skipped);
  return tree;
}
