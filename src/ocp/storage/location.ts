/**
 * Checkpoint locations are strings, as in Orbax: a local path or an
 * `s3://bucket/prefix` URL. These are the path operations the checkpoint code
 * needs, done so that a URL keeps its `//` (node:path would fold it) and its
 * keys stay "/"-separated on every platform.
 */
import path from "node:path";

const S3_URL = /^s3:\/\/([^/]+)(?:\/(.*))?$/;

export function isObjectUrl(location: string): boolean {
  return location.startsWith("s3://");
}

/** The bucket and key of an `s3://` URL (key without a leading or trailing "/"). */
export function parseObjectUrl(location: string): { bucket: string; key: string } {
  const m = S3_URL.exec(location);
  if (!m || m[1] === "") throw new Error(`${JSON.stringify(location)} is not an s3:// URL of the form s3://bucket/prefix`);
  const key = (m[2] ?? "").replace(/\/+$/, "");
  if (key.split("/").some((part) => part === "." || part === ".." || (part === "" && key !== ""))) {
    throw new Error(`${location}: a checkpoint location may not contain empty, "." or ".." path parts`);
  }
  return { bucket: m[1], key };
}

/** An absolute path, or a URL without a trailing "/". */
export function resolveLocation(location: string): string {
  if (!isObjectUrl(location)) return path.resolve(location);
  const { bucket, key } = parseObjectUrl(location);
  return key === "" ? `s3://${bucket}` : `s3://${bucket}/${key}`;
}

export function joinLocation(base: string, ...parts: string[]): string {
  if (!isObjectUrl(base)) return path.join(base, ...parts);
  const { bucket, key } = parseObjectUrl(base);
  const joined = path.posix.join(key, ...parts).replace(/^\.$/, "").replace(/\/+$/, "");
  if (joined.startsWith("..")) throw new Error(`${base}: ${parts.join("/")} leaves the bucket`);
  return joined === "" ? `s3://${bucket}` : `s3://${bucket}/${joined}`;
}

export function locationBasename(location: string): string {
  return isObjectUrl(location) ? path.posix.basename(parseObjectUrl(location).key) : path.basename(location);
}

export function locationDirname(location: string): string {
  if (!isObjectUrl(location)) return path.dirname(location);
  const { bucket, key } = parseObjectUrl(location);
  const parent = path.posix.dirname(key);
  return parent === "." || parent === "/" ? `s3://${bucket}` : `s3://${bucket}/${parent}`;
}
