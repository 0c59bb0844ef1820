/**
 * How a checkpoint folder is written and made visible, by storage: Orbax's
 * two ways, AtomicRenameTemporaryPath and CommitFileTemporaryPath.
 *
 * - On a file system (`commit: "rename"`), a checkpoint is written into a
 *   temporary sibling and renamed into place (./atomic.ts).
 * - In an object store (`commit: "marker"`) there is no rename: a checkpoint
 *   is written where it belongs, and it exists only once its
 *   `commit_success.txt` is written, after every other object has been
 *   stored (S3 is strongly consistent, so a reader that sees the marker sees
 *   the rest). A step without it is a save that never finished: it is not
 *   listed, not restored, and is cleaned up like a temporary folder. Deletes
 *   remove the marker first, so a delete stopped half-way leaves such a
 *   leftover, never a listed step with missing objects.
 */
import { commitDir, COMMIT_FILE, makeTmpDir, writeCommitMarker } from "./atomic.js";
import { joinLocation } from "./storage/location.js";
import type { Storage } from "./storage/storage.js";

/** Where to write the checkpoint that is to end up at `finalPath`. */
export async function stageCheckpoint(storage: Storage, finalPath: string): Promise<string> {
  if (storage.commit === "rename") return makeTmpDir(finalPath);
  // A leftover of an unfinished save, or the step a forced save replaces: it stops being a checkpoint before anything is overwritten.
  await deleteCheckpoint(storage, finalPath);
  return finalPath;
}

/** Makes the checkpoint written at `staged` visible at `finalPath`; with `replace`, in place of the one there. */
export async function commitCheckpoint(storage: Storage, staged: string, finalPath: string, replace: boolean): Promise<void> {
  if (storage.commit === "rename") return commitDir(staged, finalPath, replace);
  await writeCommitMarker(storage, finalPath, finalPath);
}

/** Whether a finished checkpoint is at `finalPath` (a folder there, or its marker in an object store). */
export function isCommittedSync(storage: Storage, finalPath: string): boolean {
  return storage.commit === "rename" ? storage.kindSync(finalPath) === "folder" : storage.kindSync(joinLocation(finalPath, COMMIT_FILE)) === "file";
}

/** Deletes a checkpoint from an object store, its marker first. (On a file system the managers move it out of the way first: see removeStepDir.) */
export async function deleteCheckpoint(storage: Storage, finalPath: string): Promise<void> {
  await storage.remove(joinLocation(finalPath, COMMIT_FILE));
  await storage.remove(finalPath);
}
