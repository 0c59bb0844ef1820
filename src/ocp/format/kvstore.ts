import type { Storage } from "../storage/storage.js";
import { fileStorage } from "../storage/file-storage.js";
import { joinLocation } from "../storage/location.js";

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

/** The keys of a zarr hierarchy stored one file (or object) per key under `dir`. */
export function fileSource(dir: string, storage: Storage = fileStorage): KeyValueSource {
  return {
    get: (key) => storage.read(joinLocation(dir, key)),
    describe: (key) => joinLocation(dir, key),
  };
}
