/**
 * Where checkpoint bytes live, behind one interface: a local file system or
 * an S3 bucket. The format layer (zarr, OCDBT) and the managers read and
 * write through it with full locations (a path, or an `s3://` URL), so the
 * on-disk layout is the same in both, and a checkpoint copied between a
 * bucket and a folder restores from either.
 *
 * The two differ in how a checkpoint becomes visible (`commit`): a folder is
 * written under a temporary name and renamed into place; an object store has
 * no rename, so a step is written where it belongs and counts only once its
 * `commit_success.txt` is written, last (what Orbax does on GCS).
 *
 * The synchronous reads exist because Orbax's manager API is synchronous
 * (`CheckpointManager(...)` lists its steps, `latest_step()` answers at
 * once); object storage answers them from a worker thread (./s3/sync.ts).
 */
export type EntryKind = "file" | "folder";

export interface FolderEntry {
  name: string;
  kind: EntryKind;
}

/** A file written front to back (an OCDBT data file). */
export interface AppendableFile {
  /** Appends and returns the offset the bytes start at; the bytes may be reused once this resolves. */
  append(bytes: Uint8Array): Promise<number>;
  /** Starts making what is written so far durable, without waiting for it. */
  flushInBackground(): void;
  /** Ends a complete file (durably with `flush`); a file that was never appended to is not created. */
  finish(flush: boolean): Promise<void>;
  /** Ends a file that failed part-way, releasing what it holds. */
  abandon(): Promise<void>;
}

export interface Storage {
  readonly commit: "rename" | "marker";
  /** The whole file, or undefined when there is none. */
  read(location: string): Promise<Uint8Array | undefined>;
  /** `length` bytes at `offset`, into `scratch` when it is large enough (a view of it is returned); short data is an error naming the file. */
  readRange(location: string, offset: number, length: number, scratch?: Uint8Array): Promise<Uint8Array>;
  /** Writes a whole file; with `durable`, it is on stable storage when this resolves. */
  write(location: string, data: Uint8Array | string, durable?: boolean): Promise<void>;
  appendable(location: string): AppendableFile;
  /** Creates a folder and its parents (object stores have none to create). */
  makeFolder(location: string): Promise<void>;
  kind(location: string): Promise<EntryKind | undefined>;
  /** The folder's children; a missing folder has none. */
  list(location: string): Promise<FolderEntry[]>;
  /** Removes a file or a folder and everything in it; missing is no error. */
  remove(location: string): Promise<void>;
  readSync(location: string): Uint8Array | undefined;
  kindSync(location: string): EntryKind | undefined;
  listSync(location: string): FolderEntry[];
  /** Total bytes of a file, or of every file under a folder. */
  sizeSync(location: string): number;
}
