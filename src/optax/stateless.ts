import { expectState } from "./state.js";
import { treeDispose, type ArrayTree } from "./tree.js";
import type { GradientTransformation } from "./types.js";

/**
 * A transformation without state (Optax's `stateless`): its state is `{}`,
 * the params it is handed are released, and `apply` maps the updates.
 */
export function stateless(name: string, apply: (updates: ArrayTree) => ArrayTree): GradientTransformation {
  return {
    init(params) {
      treeDispose(params);
      return {};
    },
    update(updates, state, params) {
      treeDispose(params);
      expectState(state, [], name);
      return [apply(updates) as typeof updates, {}];
    },
  };
}
