/** Errors from the file system, restated to name the path and say what went wrong in plain words. */
import { mkdir, open, writeFile } from "node:fs/promises";

export function fileError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT" ? "is missing" :
    code === "EISDIR" ? "is a folder where a file was expected" :
    code === "ENOTDIR" ? "cannot be reached: a file stands where a folder was expected on its path" :
    code === "EACCES" || code === "EPERM" ? "cannot be read (permission denied)" :
    `cannot be read (${(e as Error).message})`;
  return new Error(`${path} ${reason}`, { cause: e });
}

/**
 * Writes `data` to `path`, failing with an error that names the path (Node's
 * own write errors may not); with `flush`, the file reaches the disk before
 * this resolves.
 */
export async function writeFileNamed(path: string, data: Uint8Array | string, flush = false): Promise<void> {
  try {
    if (!flush) return await writeFile(path, data);
    const handle = await open(path, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw writeError(path, e);
  }
}

export function writeError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOSPC" ? "no space left on the device" :
    code === "EACCES" || code === "EPERM" ? "permission denied" :
    code === "ENOENT" ? "its folder does not exist" :
    code === "ENOTDIR" ? "a file stands where a folder was expected on its path" :
    code === "EISDIR" ? "a folder stands there" :
    (e as Error).message;
  return new Error(`${path} could not be written: ${reason}`, { cause: e });
}

/** Creates a folder (and its parents), failing with an error that names it. */
export async function mkdirNamed(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === "EEXIST" || code === "ENOTDIR" ? "a file stands there or on its path" :
      code === "EACCES" || code === "EPERM" ? "permission denied" :
      code === "ENOSPC" ? "no space left on the device" :
      (e as Error).message;
    throw new Error(`${path} could not be created as a folder: ${reason}`, { cause: e });
  }
}
