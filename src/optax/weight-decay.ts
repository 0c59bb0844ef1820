/** Decoupled weight decay (Optax's add_decayed_weights): updates + weightDecay * params. */
import { checkNumber, expectState } from "./state.js";
import { treeDispose, treeMap } from "./tree.js";
import type { GradientTransformation } from "./types.js";

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
