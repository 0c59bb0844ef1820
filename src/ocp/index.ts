/** `ocp`: Orbax-compatible checkpointing (Orbax's API in TypeScript spelling, Orbax's on-disk format), in folders or `s3://` buckets. */
export * as args from "./args.js";
export type { Restored } from "./args.js";
export { StandardCheckpointer } from "./standard-checkpointer.js";
export type { CheckpointerOptions, CheckpointerSaveOptions } from "./standard-checkpointer.js";
export { CheckpointManager } from "./checkpoint-manager.js";
export type { ManagerSaveOptions, StepSummary, ItemMetadata } from "./checkpoint-manager.js";
export type { CheckpointManagerOptions } from "./manager-options.js";
export type { KeepReason } from "./retention.js";
export type { RestoreOptions, RestoreReport } from "./restore-plan.js";
export type { ProgressEvent, OnProgress } from "./progress.js";
export { StepAlreadyExistsError, TreeMismatchError, CheckpointError } from "./errors.js";
export type { S3Options } from "./storage/index.js";
