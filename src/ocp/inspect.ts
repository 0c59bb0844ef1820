/**
 * Text listings of checkpoints for the `tsnnx ckpt` command: steps with time,
 * size and metrics; a stored tree with path, shape, dtype and bytes. They read
 * metadata only (no array data) and work on Python-written checkpoints.
 */
import { readPyTreeMetadata } from "./format/index.js";
import { CheckpointManager } from "./checkpoint-manager.js";
import { isTmpName } from "./atomic.js";
import { CHECKPOINT_METADATA_FILE } from "./checkpoint-metadata.js";
import { CheckpointError } from "./errors.js";
import { isJsonItem, requireDir } from "./items.js";
import { itemSize } from "./format/dtype.js";
import { pathName } from "./tree.js";
import { joinLocation, locationBasename, resolveLocation, storageFor, type Storage } from "./storage/index.js";

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * A read-only manager over `dir`, with the step prefix its folders use
 * (`<prefix>_<step>`, Orbax's step_prefix) when no folder is a bare step number.
 */
export function inspectManager(dir: string): CheckpointManager {
  const names = storageFor(dir).listSync(dir).filter((e) => e.kind === "folder" && !isTmpName(e.name)).map((e) => e.name);
  if (names.some((n) => /^\d+$/.test(n))) return new CheckpointManager(dir, { readOnly: true });
  const prefixes = new Set(names.map((n) => /^(.+)_\d+$/.exec(n)?.[1]).filter((p) => p !== undefined));
  return new CheckpointManager(dir, { readOnly: true, stepPrefix: prefixes.size === 1 ? [...prefixes][0] : undefined });
}

/** `tsnnx ckpt ls DIR`: one line per step of a manager directory. */
export function listSteps(directory: string): string {
  const location = resolveLocation(directory);
  const storage = storageFor(location);
  requireDir(storage, location, "ckpt ls");
  const manager = inspectManager(location);
  const summaries = manager.stepSummaries();
  if (summaries.length === 0) return `No checkpoint steps in ${location}`;
  const rows = summaries.map((s) => {
    const dir = manager.stepPath(s.step);
    return [String(s.step), new Date(s.time).toISOString(), storage.kindSync(dir) !== undefined ? formatBytes(storage.sizeSync(dir)) : "?", s.metrics === undefined ? "" : JSON.stringify(s.metrics)];
  });
  return table(["step", "time", "size", "metrics"], rows);
}

/** Whether `dir` is itself one tree item (a StandardCheckpointer folder or a step's item folder). */
function isTreeItem(storage: Storage, dir: string): boolean {
  return ["_METADATA", "manifest.ocdbt", "checkpoint"].some((f) => storage.kindSync(joinLocation(dir, f)) === "file");
}

async function showItem(storage: Storage, dir: string, title: string): Promise<string> {
  if ((await isJsonItem(storage, dir)) && !isTreeItem(storage, dir)) return `${title} (JSON)`;
  let meta;
  try {
    meta = await readPyTreeMetadata(dir, storage);
  } catch (e) {
    throw new CheckpointError(`Cannot read the tree at ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const rows = meta.leaves.map((leaf) => {
    if (leaf.kind !== "array") return [pathName(leaf.path.keys), "", leaf.kind, ""];
    const bytes = leaf.shape.reduce((a, b) => a * b, 1) * itemSize(leaf.dtype);
    return [pathName(leaf.path.keys), `[${leaf.shape.join(", ")}]`, leaf.dtype, String(bytes)];
  });
  const total = rows.reduce((n, r) => n + (Number(r[3]) || 0), 0);
  const layout = `${meta.layout === "ocdbt" ? "zarr" + meta.zarrVersion + " in OCDBT" : "zarr" + meta.zarrVersion + " folders"}`;
  return `${title} (${layout}, ${meta.leaves.length} leaves, ${formatBytes(total)})\n` + table(["path", "shape", "dtype", "bytes"], rows);
}

/**
 * `tsnnx ckpt show DIR [STEP]`: the stored tree of a step (default: latest) of
 * a manager directory, of a single step folder, or of a StandardCheckpointer folder.
 */
export async function showCheckpoint(directory: string, step?: number): Promise<string> {
  const dir = resolveLocation(directory);
  const storage = storageFor(dir);
  requireDir(storage, dir, "ckpt show");
  if (step === undefined && isTreeItem(storage, dir)) return showItem(storage, dir, dir);
  let stepDir = dir;
  if (step !== undefined || storage.kindSync(joinLocation(dir, CHECKPOINT_METADATA_FILE)) === undefined) {
    const manager = inspectManager(dir);
    const chosen = step ?? manager.latestStep();
    if (chosen === undefined) throw new CheckpointError(`ckpt show: ${dir} holds no checkpoint steps and no checkpoint tree`);
    if (!manager.allSteps().includes(chosen)) throw new CheckpointError(`ckpt show: step ${chosen} was not found in ${dir}. Available steps: [${manager.allSteps().join(", ")}]`);
    stepDir = manager.stepPath(chosen);
  }
  if (isTreeItem(storage, stepDir)) return showItem(storage, stepDir, stepDir);
  const items = storage.listSync(stepDir).filter((e) => e.kind === "folder").map((e) => e.name).sort();
  const parts: string[] = [];
  for (const name of items) parts.push(await showItem(storage, joinLocation(stepDir, name), `${locationBasename(stepDir)}/${name}`));
  return parts.join("\n\n");
}
