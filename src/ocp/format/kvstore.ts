import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileError } from "./file-errors.js";

/** Read access to the keys of a zarr hierarchy: plain files, or entries of an OCDBT database. */
export interface KeyValueSource {
  /**
   * The bytes stored under `key`, or undefined when there are none. With
   * `scratch`, a value read from disk that fits is read into it (the result
   * is then a view of `scratch`, valid until the caller reuses it).
   */
  get(key: string, scratch?: Uint8Array): Promise<Uint8Array | undefined>;
  /** Names `key` in error messages: the file, or the database and the entry. */
  describe(key: string): string;
}

/** Reads a whole file; a missing file is `undefined`, anything else unreadable is an error naming the path. */
export async function readFileIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await readFile(path);
    // A plain Uint8Array view: Buffer's slice() would not copy.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw fileError(path, e);
  }
}

/** Reads `length` bytes at `offset`, into `scratch` when it is large enough (a view of it is returned), else into fresh memory. */
export async function readFileRange(path: string, offset: number, length: number, scratch?: Uint8Array): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    const out = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`${path}: truncated (wanted bytes ${offset}..${offset + length}, file ends at ${offset + done})`);
      done += bytesRead;
    }
    return out;
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code ? fileError(path, e) : e;
  } finally {
    await handle.close();
  }
}

export function fileSource(dir: string): KeyValueSource {
  return {
    get: (key) => readFileIfPresent(join(dir, key)),
    describe: (key) => join(dir, key),
  };
}
