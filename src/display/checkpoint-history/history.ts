/**
 * The data behind a checkpoint history display: one row per step of a
 * CheckpointManager (or of a folder, through a read-only manager, so steps
 * Python Orbax wrote show too), gathered once so that the table, the chart
 * specs, the SVG and the JSON all show the same facts.
 *
 * Sizes and save durations come from tsnnx's own save record where there is
 * one; for steps Python wrote, from the folder's bytes on disk and Orbax's
 * init/commit timestamps.
 */
import { CheckpointManager } from "../../ocp/checkpoint-manager.js";
import { readCheckpointMetadataSync } from "../../ocp/checkpoint-metadata.js";
import { inspectManager } from "../../ocp/inspect.js";
import { resolveLocation, storageFor, type Storage } from "../../ocp/storage/index.js";
import { requireDir } from "../../ocp/items.js";
import type { KeepReason } from "../../ocp/retention.js";

/**
 * kept: a retention rule keeps it; deleted: none does, so the manager
 * deletes it once the save in flight commits (or at the next save);
 * saving: its save is still being written.
 */
export type StepStatus = "kept" | "deleted" | "saving";

export interface HistoryRow {
  step: number;
  /** Commit time (start time while saving), ms since the epoch. */
  time: number;
  /** Bytes written (tsnnx's record) or found on disk; undefined while saving or unreadable. */
  bytes?: number;
  /** Seconds from save() to commit. */
  saveSeconds?: number;
  metrics: Record<string, unknown>;
  status: StepStatus;
  best: boolean;
  keptBy: KeepReason[];
}

export interface CheckpointHistory {
  directory: string;
  /** Every metric name any step has, in first-seen order. */
  metricNames: string[];
  /** Metric names whose values are all finite numbers where present: the ones charted. */
  numericMetrics: string[];
  bestStep?: number;
  rows: HistoryRow[];
}

/** Orbax's option names for the rules that keep a step. */
export const KEEP_REASON_LABELS: Record<KeepReason, string> = {
  unlimited: "maxToKeep unset",
  latest: "maxToKeep (latest)",
  best: "maxToKeep (best)",
  withoutMetrics: "keepCheckpointsWithoutMetrics",
  period: "keepPeriod",
  timeInterval: "keepTimeInterval",
};

/** The manager itself, or a read-only manager over the folder `source`. */
export function managerOf(source: CheckpointManager | string): CheckpointManager {
  if (source instanceof CheckpointManager) return source;
  if (typeof source !== "string") throw new TypeError(`checkpointHistory expects a CheckpointManager or a folder path, got ${source === null ? "null" : typeof source}`);
  const location = resolveLocation(source);
  requireDir(storageFor(location), location, "checkpointHistory");
  return inspectManager(location);
}

export function readHistory(manager: CheckpointManager): CheckpointHistory {
  const rows = manager.stepSummaries().map((summary): HistoryRow => {
    const dir = manager.stepPath(summary.step);
    const stored = !summary.inFlight && manager.storage.kindSync(dir) !== undefined;
    return {
      step: summary.step,
      time: summary.time,
      bytes: summary.bytesWritten ?? (stored ? folderBytesLenient(manager.storage, dir) : undefined),
      saveSeconds: summary.totalSeconds ?? (stored ? orbaxSaveSeconds(manager.storage, dir) : undefined),
      metrics: summary.metrics ?? {},
      status: summary.inFlight ? "saving" : summary.keptBy.length > 0 ? "kept" : "deleted",
      best: summary.best,
      keptBy: summary.keptBy,
    };
  });
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const numericMetrics = metricNames.filter((name) => {
    const values = rows.map((r) => r.metrics[name]).filter((v) => v !== undefined);
    return values.length > 0 && values.every((v) => typeof v === "number" && Number.isFinite(v));
  });
  return { directory: manager.directory, metricNames, numericMetrics, bestStep: rows.find((r) => r.best)?.step, rows };
}

function folderBytesLenient(storage: Storage, dir: string): number | undefined {
  try {
    return storage.sizeSync(dir);
  } catch {
    return undefined;
  }
}

/** Commit minus init time from Orbax's `_CHECKPOINT_METADATA`, when both are there. */
function orbaxSaveSeconds(storage: Storage, dir: string): number | undefined {
  try {
    const meta = readCheckpointMetadataSync(storage, dir);
    if (meta?.initTime === undefined || meta.commitTime === undefined) return undefined;
    return (meta.commitTime - meta.initTime) / 1000;
  } catch {
    return undefined;
  }
}
