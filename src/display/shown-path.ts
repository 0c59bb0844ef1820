/**
 * Paths as a person reads them in a notebook: relative to the folder the
 * notebook runs in when they lie inside it (`checkpoints/6`), absolute
 * otherwise (and `s3://` URLs as they are). Saved outputs then read the same
 * on every machine.
 */
import path from "node:path";

export function shownPath(target: string, base: string = process.cwd()): string {
  if (target.startsWith("s3://")) return target;
  const relative = path.relative(base, target);
  if (relative === "") return ".";
  return relative.startsWith("..") || path.isAbsolute(relative) ? target : relative;
}
