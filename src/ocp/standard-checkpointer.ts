/**
 * `ocp.StandardCheckpointer`: one tree saved at a path, laid out as Orbax's
 * StandardCheckpointer lays it out (tree files and `_CHECKPOINT_METADATA`
 * directly in the folder). Saves are async: `save()` resolves once the values
 * are captured (see `snapshotLeaf`); reading, writing and the atomic commit
 * continue in the background.
 */
import type { Restored } from "./args.js";
import fs from "node:fs";
import { recoverReplaceSync } from "./atomic.js";
import { BackgroundWork } from "./background.js";
import { handlerTypes, writeCheckpointMetadata, writeSaveRecord } from "./checkpoint-metadata.js";
import { CheckpointError } from "./errors.js";
import { releaseItem, restoreItem, stageItem, writeItem } from "./items.js";
import type { OnProgress } from "./progress.js";
import { emptyReport, type RestoreOptions, type RestoreReport } from "./restore-plan.js";
import { commitCheckpoint, isCommittedSync, stageCheckpoint } from "./commit.js";
import { resolveLocation, storageFor, type S3Options, type Storage } from "./storage/index.js";

export interface CheckpointerOptions {
  /** zstd (Orbax's default) or none. */
  compression?: "zstd" | "none";
  /** ocdbt (Orbax's default) or plain zarr2 folders. */
  layout?: "zarr2" | "ocdbt";
  onProgress?: OnProgress;
  /** For `s3://` paths: endpoint, region and credentials, over what the AWS environment variables and files say. */
  s3?: S3Options;
}

export interface CheckpointerSaveOptions {
  /** Replace an existing checkpoint at the path. */
  force?: boolean;
  customMetadata?: Record<string, unknown>;
}

export class StandardCheckpointer {
  private readonly background = new BackgroundWork();
  private readonly options: Required<Omit<CheckpointerOptions, "onProgress" | "s3">> & Pick<CheckpointerOptions, "onProgress" | "s3">;
  /** What the last restore converted, reshaped or skipped, path by path. */
  lastRestoreReport: RestoreReport = emptyReport();

  constructor(options: CheckpointerOptions = {}) {
    this.options = { compression: options.compression ?? "zstd", layout: options.layout ?? "ocdbt", onProgress: options.onProgress, s3: options.s3 };
  }

  async save(checkpointPath: string, state: unknown, options: CheckpointerSaveOptions = {}): Promise<void> {
    await this.background.wait();
    const finalPath = resolveLocation(checkpointPath);
    const storage = storageFor(finalPath, this.options.s3);
    // Before the staging folder is made, which would delete the new copy an interrupted overwrite left.
    recoverInterruptedOverwrite(storage, finalPath);
    // In object storage this is also the check of endpoint, credentials and bucket, before any work.
    if (isCommittedSync(storage, finalPath) && !options.force) {
      throw new CheckpointError(`save: ${finalPath} already exists; pass { force: true } to replace it`);
    }
    const started = Date.now();
    const item = stageItem({ kind: "StandardSave", item: state }, `save ${finalPath}`);
    const blockingSeconds = (Date.now() - started) / 1000;
    this.background.start(async () => {
      try {
        const tmp = await stageCheckpoint(storage, finalPath);
        const bytesWritten = await writeItem(storage, tmp, item, finalPath, this.options, "checkpoint");
        await writeCheckpointMetadata(storage, tmp, {
          itemHandlers: handlerTypes.standard,
          initTime: started,
          commitTime: Date.now(),
          customMetadata: options.customMetadata ?? {},
        });
        await writeSaveRecord(storage, tmp, { bytesWritten, blockingSeconds, totalSeconds: (Date.now() - started) / 1000 });
        await commitCheckpoint(storage, tmp, finalPath, options.force === true);
      } catch (e) {
        releaseItem(item);
        throw e;
      }
    });
  }

  /**
   * Restores the tree at `checkpointPath`; with a template, into its
   * structure, shapes, dtypes and devices, and typed by it. (As in Orbax, a
   * StandardCheckpointer holds one item; Composite is the manager's.)
   */
  restore<T>(checkpointPath: string, template: T, options?: RestoreOptions): Promise<Restored<T>>;
  restore(checkpointPath: string): Promise<unknown>;
  async restore(checkpointPath: string, template?: unknown, options: RestoreOptions = {}): Promise<unknown> {
    await this.background.wait();
    const report = emptyReport();
    const location = resolveLocation(checkpointPath);
    const storage = storageFor(location, this.options.s3);
    recoverInterruptedOverwrite(storage, location);
    if (storage.commit === "marker" && !isCommittedSync(storage, location) && storage.kindSync(location) !== undefined) {
      throw new CheckpointError(`restore: ${location} is not a finished checkpoint (it has no commit_success.txt: its save did not finish)`);
    }
    const tree = await restoreItem(storage, location, { kind: "PyTreeRestore", template, options }, report, this.options.onProgress);
    this.lastRestoreReport = report;
    return tree;
  }

  waitUntilFinished(): Promise<void> {
    return this.background.wait();
  }

  close(): Promise<void> {
    return this.background.wait();
  }
}

/**
 * A forced save killed between its two renames leaves no folder at the path;
 * its committed copy is put back (see recoverReplaceSync). An unfinished new
 * copy is then only a leftover, and nothing else here would remove it.
 */
function recoverInterruptedOverwrite(storage: Storage, finalPath: string): void {
  if (storage.commit !== "rename") return;
  const recovered = recoverReplaceSync(finalPath);
  if (recovered !== undefined && !recovered.newer) fs.rmSync(recovered.tmp, { recursive: true, force: true });
}
