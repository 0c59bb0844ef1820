/**
 * Storage on the local file system. Errors are restated by file-errors.ts to
 * name the path and the problem in plain words; a data file is opened on its
 * first append and flushed to disk in the background as it grows, so the
 * commit's fsync finds that work done.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { fileError, folderError, writeError } from "../format/file-errors.js";
import type { AppendableFile, EntryKind, FolderEntry, Storage } from "./storage.js";

/** A data file's flush is started each time this much more has been written to it. */
const FLUSH_EVERY_BYTES = 16 * 2 ** 20;

async function read(file: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await fsp.readFile(file);
    // A plain Uint8Array view: Buffer's slice() would not copy.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileError(file, e);
  }
}

async function readRange(file: string, offset: number, length: number, scratch?: Uint8Array): Promise<Uint8Array> {
  let handle;
  try {
    handle = await fsp.open(file, "r");
  } catch (e) {
    throw fileError(file, e);
  }
  try {
    const out = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`${file}: truncated (wanted bytes ${offset}..${offset + length}, file ends at ${offset + done})`);
      done += bytesRead;
    }
    return out;
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code ? fileError(file, e) : e;
  } finally {
    await handle.close();
  }
}

async function write(file: string, data: Uint8Array | string, durable = false): Promise<void> {
  try {
    if (!durable) return await fsp.writeFile(file, data);
    const handle = await fsp.open(file, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw writeError(file, e);
  }
}

function appendable(file: string): AppendableFile {
  let handle: fsp.FileHandle | undefined;
  let position = 0;
  let flushedTo = 0;
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  const close = async (flush: boolean) => {
    const h = handle;
    handle = undefined;
    if (!h) return;
    try {
      await flushing;
      if (flush && flushError !== undefined) throw flushError;
      if (flush) await h.sync();
    } catch (e) {
      throw writeError(file, e);
    } finally {
      await h.close();
    }
  };
  return {
    flushInBackground(): void {
      if (!handle || flushing || flushError !== undefined || position - flushedTo < FLUSH_EVERY_BYTES) return;
      const upTo = position;
      flushing = handle
        .datasync()
        .then(
          () => void (flushedTo = upTo),
          (e) => void (flushError = e),
        )
        .finally(() => (flushing = undefined));
    },
    async append(bytes: Uint8Array): Promise<number> {
      try {
        handle ??= await fsp.open(file, "w");
        let done = 0;
        while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
      } catch (e) {
        throw writeError(file, e);
      }
      const offset = position;
      position += bytes.length;
      return offset;
    },
    finish: (flush) => close(flush),
    abandon: () => close(false),
  };
}

async function makeFolder(folder: string): Promise<void> {
  try {
    await fsp.mkdir(folder, { recursive: true });
  } catch (e) {
    throw folderError(folder, e);
  }
}

function kindOf(stat: fs.Stats | undefined): EntryKind | undefined {
  return stat === undefined ? undefined : stat.isDirectory() ? "folder" : "file";
}

/** A file standing where a folder is on the path (ENOTDIR) means nothing is there, as for fs.existsSync. */
const absent = (e: unknown) => ["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "");

async function kind(location: string): Promise<EntryKind | undefined> {
  try {
    return kindOf(await fsp.stat(location));
  } catch (e) {
    if (absent(e)) return undefined;
    throw fileError(location, e);
  }
}

function kindSync(location: string): EntryKind | undefined {
  try {
    return kindOf(fs.statSync(location));
  } catch (e) {
    if (absent(e)) return undefined;
    throw fileError(location, e);
  }
}

const toEntries = (dirents: fs.Dirent[]): FolderEntry[] => dirents.map((d) => ({ name: d.name, kind: d.isDirectory() ? "folder" : "file" }));

async function list(folder: string): Promise<FolderEntry[]> {
  try {
    return toEntries(await fsp.readdir(folder, { withFileTypes: true }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw fileError(folder, e);
  }
}

function listSync(folder: string): FolderEntry[] {
  try {
    return toEntries(fs.readdirSync(folder, { withFileTypes: true }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw fileError(folder, e);
  }
}

function readSync(file: string): Uint8Array | undefined {
  try {
    const buf = fs.readFileSync(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileError(file, e);
  }
}

function sizeSync(location: string): number {
  const stat = fs.statSync(location, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.size;
  return listSync(location).reduce((total, e) => total + sizeSync(path.join(location, e.name)), 0);
}

export const fileStorage: Storage = {
  commit: "rename",
  read,
  readRange,
  write,
  appendable,
  makeFolder,
  kind,
  list,
  remove: (location) => fsp.rm(location, { recursive: true, force: true }),
  readSync,
  kindSync,
  listSync,
  sizeSync,
};
