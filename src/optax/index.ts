/**
 * Optax in TypeScript: gradient transformations over trees of arrays, with
 * Optax's names, semantics and state layout. See types.ts for ownership rules.
 */
export type { GradientTransformation, OptState, Schedule, ScalarOrSchedule } from "./types.js";
export type { ArrayTree } from "./tree.js";
export { treeMap, treeLeaves, treeRef, treeDispose } from "./tree.js";
export { sgd, adam, adamw } from "./alias.js";
export { chain } from "./chain.js";
export { identity, scale, scaleBySchedule, scaleByLearningRate } from "./scale.js";
export { scaleByAdam, type AdamOptions } from "./adam.js";
export { trace } from "./trace.js";
export { clipByGlobalNorm, globalNorm } from "./clip.js";
export { addDecayedWeights } from "./weight-decay.js";
export { applyUpdates } from "./apply-updates.js";
export { syncCounts } from "./count.js";
export {
  constantSchedule,
  polynomialSchedule,
  linearSchedule,
  exponentialDecay,
  cosineDecaySchedule,
  joinSchedules,
  warmupCosineDecaySchedule,
  type ExponentialDecayOptions,
} from "./schedules.js";
