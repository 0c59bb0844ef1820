/**
 * `_CHECKPOINT_METADATA`, the JSON Orbax writes at the top of every
 * checkpoint, and `tsnnx_record.json`, a file beside it that Python Orbax
 * ignores, holding what only tsnnx measures (bytes, save durations).
 */
import { CheckpointError } from "./errors.js";
import { joinLocation } from "./storage/location.js";
import type { Storage } from "./storage/storage.js";

export const CHECKPOINT_METADATA_FILE = "_CHECKPOINT_METADATA";
export const RECORD_FILE = "tsnnx_record.json";

export const handlerTypes = {
  standard: "orbax.checkpoint._src.handlers.standard_checkpoint_handler.StandardCheckpointHandler",
  pytree: "orbax.checkpoint._src.handlers.pytree_checkpoint_handler.PyTreeCheckpointHandler",
  json: "orbax.checkpoint._src.handlers.json_checkpoint_handler.JsonCheckpointHandler",
} as const;

export interface CheckpointMetadata {
  /** One handler name for a single-item checkpoint, or one per item name. */
  itemHandlers?: string | Record<string, string>;
  /** Commit and init times, ms since the epoch (Orbax stores ns). */
  initTime?: number;
  commitTime?: number;
  customMetadata: Record<string, unknown>;
}

/** What tsnnx records per save, beside Orbax's metadata. */
export interface SaveRecord {
  bytesWritten: number;
  /** Time save() held the caller (copy to host), seconds. */
  blockingSeconds: number;
  /** Time from save() to commit, seconds. */
  totalSeconds: number;
}

/** Orbax writes integer nanoseconds, past 2^53: they are spliced into the JSON text as exact integers. */
export async function writeCheckpointMetadata(storage: Storage, dir: string, meta: { itemHandlers: string | Record<string, string>; initTime: number; commitTime: number; customMetadata: Record<string, unknown> }): Promise<void> {
  const ns = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  const text =
    `{"item_handlers": ${JSON.stringify(meta.itemHandlers)}, "metrics": {}, "performance_metrics": {}, ` +
    `"init_timestamp_nsecs": ${ns(meta.initTime)}, "commit_timestamp_nsecs": ${ns(meta.commitTime)}, ` +
    `"custom_metadata": ${JSON.stringify(meta.customMetadata)}}`;
  await storage.write(joinLocation(dir, CHECKPOINT_METADATA_FILE), text, true);
}

/** The JSON value in `file`, or undefined when there is no such file. */
export function readJsonSync(storage: Storage, file: string): unknown {
  const bytes = storage.readSync(file);
  if (bytes === undefined) return undefined;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** The checkpoint's metadata, or undefined when the file is absent (older checkpoints lack it). */
export function readCheckpointMetadataSync(storage: Storage, dir: string): CheckpointMetadata | undefined {
  const file = joinLocation(dir, CHECKPOINT_METADATA_FILE);
  const raw = readJsonSync(storage, file);
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new CheckpointError(`${file} does not hold a JSON object`);
  const obj = raw as Record<string, unknown>;
  const ms = (v: unknown): number | undefined => (typeof v === "number" ? v / 1e6 : undefined);
  const handlers = obj.item_handlers;
  return {
    itemHandlers: typeof handlers === "string" || (typeof handlers === "object" && handlers !== null) ? (handlers as string | Record<string, string>) : undefined,
    initTime: ms(obj.init_timestamp_nsecs),
    commitTime: ms(obj.commit_timestamp_nsecs),
    customMetadata: (typeof obj.custom_metadata === "object" && obj.custom_metadata !== null ? obj.custom_metadata : {}) as Record<string, unknown>,
  };
}

export async function writeSaveRecord(storage: Storage, dir: string, record: SaveRecord): Promise<void> {
  await storage.write(joinLocation(dir, RECORD_FILE), JSON.stringify(record), true);
}

export function readSaveRecordSync(storage: Storage, dir: string): SaveRecord | undefined {
  return readJsonSync(storage, joinLocation(dir, RECORD_FILE)) as SaveRecord | undefined;
}

