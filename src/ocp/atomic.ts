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

export const TMP_MARKER = ".orbax-checkpoint-tmp";
export const COMMIT_FILE = "commit_success.txt";

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

/** Flushes every file and folder under `dir` (and `dir` itself) to disk. */
export async function fsyncTree(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  await Promise.all(entries.map((e) => (e.isDirectory() ? fsyncTree(path.join(dir, e.name)) : fsyncPath(path.join(dir, e.name)))));
  await fsyncPath(dir);
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
