/** Decoupled weight decay (Optax's add_decayed_weights): updates + weightDecay * params. */
import { checkNumber, expectState } from "./state.js";
import { treeDispose, treeMap } from "./tree.js";
import type { GradientTransformation } from "./types.js";

/**
 * Add decoupled weight decay (Optax's `optax.add_decayed_weights`): `updates + weightDecay * params`.
 * Its `update` needs the params. Stateless.
 *
 * @example
 * const tx = optax.chain(optax.scaleByAdam(), optax.addDecayedWeights(1e-4), optax.scaleByLearningRate(1e-3));
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation {
  checkNumber(weightDecay, "weightDecay", "addDecayedWeights", (v) => v >= 0, ">= 0");
  return {
    init(params) {
      treeDispose(params);
      return {};
    },
    update(updates, state, params) {
      expectState(state, [], "addDecayedWeights");
      if (params === undefined) {
        treeDispose(updates);
        throw new Error("addDecayedWeights: needs the params, call update(grads, state, params)");
      }
      return [treeMap((u, p) => u.add(p.mul(weightDecay)), updates, params), {}];
    },
  };
}
