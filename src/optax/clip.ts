/** Gradient clipping by the global L2 norm over every leaf (Optax's clip_by_global_norm). */
import * as jax from "@jax-js/jax";
import { checkNumber } from "./state.js";
import { stateless } from "./stateless.js";
import { treeLeaves, treeMap } from "./tree.js";
import type { GradientTransformation } from "./types.js";

const np = jax.numpy;

/** sqrt of the sum of squares of every element of every leaf, as a float32 scalar (consumes nothing). */
export function globalNorm(tree: unknown): jax.Array {
  let total: jax.Array = np.array(0, { dtype: np.float32 });
  for (const leaf of treeLeaves(tree)) total = total.add(np.sum(np.square(leaf.ref.astype(np.float32))));
  return np.sqrt(total);
}

/**
 * Clip updates by their global norm (Optax's `optax.clip_by_global_norm`): when the L2 norm
 * over all leaves reaches `maxNorm`, every update is scaled by `maxNorm / norm`; otherwise unchanged.
 * Stateless.
 *
 * @example
 * const tx = optax.chain(optax.clipByGlobalNorm(1.0), optax.adam(1e-3));
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  checkNumber(maxNorm, "maxNorm", "clipByGlobalNorm", (v) => v > 0, "> 0");
  return stateless("clipByGlobalNorm", (updates) => {
    const norm = globalNorm(updates);
    const keep = norm.ref.less(maxNorm);
    const clipped = treeMap((u) => np.where(keep.ref, u.ref, u.div(norm.ref.astype(u.dtype)).mul(maxNorm)), updates);
    keep.dispose();
    norm.dispose();
    return clipped;
  });
}
