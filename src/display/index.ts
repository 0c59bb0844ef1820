/**
 * display/: pure functions from runtime, NNX, optax and `ocp` values to
 * Jupyter MIME bundles. Nothing here imports the kernel, so scripts, tests
 * and the CLI render exactly what a notebook shows. Values pick their bundle
 * through `[Symbol.for("Jupyter.display")]()` (see install.ts); renderers stay
 * separate from the values they render, one module per kind of value.
 */
export {};
export { diffLeaves, diffSummary, diffBundle } from "./diff.js";
export type { LeafValues, LeafDiff } from "./diff.js";
import "./install.js";
export { checkpointHistory } from "./checkpoint-history/index.js";
export type { CheckpointHistory, HistoryRow, StepStatus } from "./checkpoint-history/index.js";
export { progress, byteProgress, progressText, progressHtml, progressBundle, stderrSink } from "./progress.js";
export type { ProgressOptions, ProgressSink, ProgressState, ProgressStatus, ProgressUnit, ByteProgress } from "./progress.js";
export { stateTree } from "./state-tree/index.js";
export { STATE_TREE_MIME, CHECKPOINT_HISTORY_MIME } from "./data-mime.js";
export type { StateTreeOptions, StateTreeBundle, StateTreeSummary, LeafSummary } from "./state-tree/index.js";
