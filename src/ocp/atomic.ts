/**
 * Atomic, durable commits: everything is written into a temporary sibling
 * folder, flushed to disk (files and folders), marked with
 * `commit_success.txt` and renamed into place. A crash at any instant leaves
 * either the old state or the new one; leftovers carry the temporary marker,
 * so they are never taken for checkpoints and are cleaned up later.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { mapWithLimit } from "./format/concurrency.js";

export const TMP_MARKER = ".orbax-checkpoint-tmp";
export const COMMIT_FILE = "commit_success.txt";
const FSYNC_PARALLEL = 64;

export function isTmpName(name: string): boolean {
  return name.includes(TMP_MARKER);
}

export function tmpPathFor(finalPath: string): string {
  return `${finalPath}${TMP_MARKER}`;
}

/** A fresh, empty temporary folder for `finalPath` (a stale one from a crash is removed first). */
export async function makeTmpDir(finalPath: string): Promise<string> {
  const tmp = tmpPathFor(finalPath);
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(path.dirname(finalPath), { recursive: true });
  await fsp.mkdir(tmp);
  return tmp;
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await fsp.open(p, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes every file and folder under `dir` (and `dir` itself) to disk, deepest first. */
export async function fsyncTree(dir: string): Promise<void> {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
    dirs.push(d);
  };
  await walk(dir);
  // Bounded: a zarr2 tree of 10,000 leaves would otherwise open 10,000 files at once.
  await mapWithLimit(files, FSYNC_PARALLEL, fsyncPath);
  for (const d of dirs) await fsyncPath(d);
}

export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fsp.open(file, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function writeCommitMarker(dir: string, finalPath: string): Promise<void> {
  return writeFileDurable(path.join(dir, COMMIT_FILE), `Checkpoint commit was successful to ${finalPath}`);
}

/**
 * Flushes `tmp`, marks it committed and renames it to `finalPath`. With
 * `replace`, an existing `finalPath` is first moved aside under a temporary
 * name and removed after the new folder is in place.
 */
export async function commitDir(tmp: string, finalPath: string, replace: boolean): Promise<void> {
  await writeCommitMarker(tmp, finalPath);
  await fsyncTree(tmp);
  let aside: string | undefined;
  if (replace && fs.existsSync(finalPath)) {
    aside = `${finalPath}${TMP_MARKER}-replaced`;
    await fsp.rm(aside, { recursive: true, force: true });
    await fsp.rename(finalPath, aside);
  }
  await fsp.rename(tmp, finalPath);
  await fsyncPath(path.dirname(finalPath));
  if (aside !== undefined) await fsp.rm(aside, { recursive: true, force: true });
}

/** Removes leftover temporary folders in `dir` (synchronously: managers do it while they are constructed). */
export function removeTmpDirsSync(dir: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!isTmpName(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
