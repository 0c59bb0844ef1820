/**
 * `storageFor(location)`: the Storage that holds a location: the local file
 * system for a path, a bucket's for an `s3://` URL (one client per set of
 * S3 options, shared by every checkpoint that uses them).
 */
import { fileStorage } from "./file-storage.js";
import { isObjectUrl } from "./location.js";
import { objectStorage } from "./object-storage.js";
import type { S3Options } from "./s3/settings.js";
import type { Storage } from "./storage.js";

export function storageFor(location: string, s3?: S3Options): Storage {
  return isObjectUrl(location) ? objectStorage(s3) : fileStorage;
}

export type { AppendableFile, EntryKind, FolderEntry, Storage } from "./storage.js";
export type { S3Options } from "./s3/settings.js";
export { isObjectUrl, joinLocation, locationBasename, locationDirname, parseObjectUrl, resolveLocation } from "./location.js";
