/**
 * Atomic, durable commits: everything is written into a temporary sibling
 * folder, flushed to disk (files and folders), marked with
 * `commit_success.txt` and renamed into place. A crash at any instant leaves
 * either the old state or the new one; leftovers carry the temporary marker,
 * so they are never taken for checkpoints and are cleaned up later. The one
 * exception is a forced replace stopped between its two renames: then the
 * committed copy itself carries the marker, and `recoverReplaceSync` must put
 * it back before any cleanup runs.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { CheckpointError } from "./errors.js";
import { mapWithLimit } from "./format/concurrency.js";
import { fileStorage } from "./storage/file-storage.js";
import { joinLocation } from "./storage/location.js";
import type { Storage } from "./storage/storage.js";

export const TMP_MARKER = ".orbax-checkpoint-tmp";
export const COMMIT_FILE = "commit_success.txt";
/** Suffix of the folder a forced replace moves the old copy to. */
export const REPLACED_SUFFIX = `${TMP_MARKER}-replaced`;
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

/** Orbax's marker text; readers only test that the file exists. */
export function writeCommitMarker(storage: Storage, dir: string, finalPath: string): Promise<void> {
  return storage.write(joinLocation(dir, COMMIT_FILE), `Checkpoint commit was successful to ${finalPath}`, true);
}

/** Where `commitDir` keeps the replaced folder until the new one is in place. */
export function asidePathFor(finalPath: string): string {
  return `${finalPath}${REPLACED_SUFFIX}`;
}

/**
 * Flushes `tmp`, marks it committed and renames it to `finalPath`. With
 * `replace`, an existing `finalPath` is first moved aside under a temporary
 * name and removed after the new folder is in place; a crash between the two
 * renames is undone by `recoverReplaceSync`.
 */
export async function commitDir(tmp: string, finalPath: string, replace: boolean): Promise<void> {
  await markCommitted(tmp, finalPath);
  let aside: string | undefined;
  if (replace && fs.existsSync(finalPath)) {
    aside = asidePathFor(finalPath);
    await fsp.rm(aside, { recursive: true, force: true });
    await fsp.rename(finalPath, aside);
  }
  try {
    await fsp.rename(tmp, finalPath);
  } catch (e) {
    // This process lives on: put the old copy back now rather than leave the path empty until the next recovery.
    if (aside !== undefined) await fsp.rename(aside, finalPath).catch(() => undefined);
    throw e;
  }
  await fsyncPath(path.dirname(finalPath));
  if (aside !== undefined) await fsp.rm(aside, { recursive: true, force: true });
}

/**
 * Makes the top-level marker the last thing to reach the disk, so that a
 * marker in a temporary folder proves every file beside it is durable
 * (recovery promotes such a folder). A marker written before the flush could
 * survive a crash that the data files did not.
 */
async function markCommitted(tmp: string, finalPath: string): Promise<void> {
  await fsyncTree(tmp);
  await writeCommitMarker(fileStorage, tmp, finalPath);
  await fsyncPath(tmp);
}

/** What a crash between `commitDir`'s two renames left for `finalPath`, if anything. */
export interface InterruptedReplace {
  /** The committed folder that belongs at `finalPath`: the new one if it finished, else the replaced one. */
  committed: string;
  /** True when `committed` is the new folder (the overwrite had finished writing). */
  newer: boolean;
  aside: string;
  tmp: string;
}

/**
 * Detects a replace that stopped between moving `finalPath` aside and moving
 * the new folder in. The new folder was flushed and marked before the first
 * rename, so normally it is complete; a missing marker means something else
 * recreated it since, and then the replaced folder is the committed copy.
 */
export function findInterruptedReplaceSync(finalPath: string): InterruptedReplace | undefined {
  const aside = asidePathFor(finalPath);
  if (fs.existsSync(finalPath) || !fs.existsSync(aside)) return undefined;
  const tmp = tmpPathFor(finalPath);
  const newer = fs.existsSync(path.join(tmp, COMMIT_FILE));
  return { committed: newer ? tmp : aside, newer, aside, tmp };
}

/**
 * Puts the committed copy back at `finalPath` after a crash mid-replace:
 * the new folder if it finished (the overwrite was asked for and done),
 * else the replaced one. Only the superseded copy is deleted, and only once
 * the rename that replaces it is durable; an unfinished new folder stays a
 * plain temporary leftover. Returns what was done, or undefined when there
 * was nothing to recover.
 */
export function recoverReplaceSync(finalPath: string): InterruptedReplace | undefined {
  const found = findInterruptedReplaceSync(finalPath);
  if (found === undefined) return undefined;
  try {
    fs.renameSync(found.committed, finalPath);
    fsyncPathSync(path.dirname(finalPath));
  } catch (e) {
    throw new CheckpointError(
      `${finalPath} is missing after an interrupted overwrite; its committed copy is ${found.committed}, and moving it back failed ` +
        `(${(e as Error).message}). Rename ${found.committed} to ${finalPath} by hand (and only then delete ${found.newer ? found.aside : found.tmp}).`,
      { cause: e },
    );
  }
  if (found.newer) fs.rmSync(found.aside, { recursive: true, force: true });
  return found;
}

/** Recovers every interrupted replace among the children of `dir`; returns the paths put back. */
export function recoverReplacesInSync(dir: string): string[] {
  const recovered: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith(REPLACED_SUFFIX)) continue;
    const finalPath = path.join(dir, name.slice(0, -REPLACED_SUFFIX.length));
    if (recoverReplaceSync(finalPath) !== undefined) recovered.push(finalPath);
  }
  return recovered;
}

function fsyncPathSync(p: string): void {
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
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
