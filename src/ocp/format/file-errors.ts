/** Errors from the file system, restated to name the path and say what went wrong in plain words. */

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

export function folderError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === "EEXIST" || code === "ENOTDIR" ? "a file stands there or on its path" :
    code === "EACCES" || code === "EPERM" ? "permission denied" :
    code === "ENOSPC" ? "no space left on the device" :
    (e as Error).message;
  return new Error(`${path} could not be created as a folder: ${reason}`, { cause: e });
}
