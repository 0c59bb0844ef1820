/** Composition: each transformation's updates feed the next; the state is the list of their states. */
import { treeDispose, treeRef } from "./tree.js";
import type { GradientTransformation, OptState } from "./types.js";

/**
 * Apply transformations in sequence (Optax's `optax.chain`): each one's updates feed the next.
 * The state is the list of their states, in order.
 *
 * @example
 * const tx = optax.chain(optax.clipByGlobalNorm(1.0), optax.adam(1e-3));
 */
export function chain(...transformations: GradientTransformation[]): GradientTransformation {
  transformations.forEach((t, i) => {
    if (typeof t?.init !== "function" || typeof t?.update !== "function") {
      throw new Error(`chain: argument ${i} is not a gradient transformation (needs init and update)`);
    }
  });
  return {
    init(params) {
      const states = transformations.map((t) => t.init(treeRef(params)));
      treeDispose(params);
      return states;
    },
    update(updates, state, params) {
      if (!Array.isArray(state) || state.length !== transformations.length) {
        throw new Error(
          `chain: expected a list of ${transformations.length} states (from its init), got ` +
            (Array.isArray(state) ? `a list of ${state.length}` : String(state)),
        );
      }
      const states = state as OptState[];
      const next: OptState[] = [];
      let current = updates;
      transformations.forEach((t, i) => {
        const [u, s] = t.update(current, states[i], params === undefined ? undefined : treeRef(params));
        current = u;
        next.push(s);
      });
      treeDispose(params);
      return [current, next];
    },
  };
}
