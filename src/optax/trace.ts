/** Momentum (Optax's trace): a decaying sum of past updates, optionally Nesterov. */
import * as jax from "@jax-js/jax";
import { checkNumber, expectState } from "./state.js";
import { treeDispose, treeMap, treeRef } from "./tree.js";
import type { GradientTransformation } from "./types.js";

const np = jax.numpy;

/**
 * Momentum (Optax's `optax.trace`): `t = g + decay * t_prev`, the update is `t`
 * (`nesterov`: `g + decay * t`). State: `{ trace }`, shaped like the params.
 *
 * @example
 * const tx = optax.chain(optax.trace({ decay: 0.9 }), optax.scaleByLearningRate(0.1));
 */
export function trace({ decay, nesterov = false }: { decay: number; nesterov?: boolean }): GradientTransformation {
  checkNumber(decay, "decay", "trace", (v) => v >= 0, ">= 0");
  return {
    init(params) {
      return {
        trace: treeMap((p) => {
          const z = np.zeros(p.shape, { dtype: p.dtype, device: p.device });
          p.dispose();
          return z;
        }, params),
      };
    },
    update(updates, state, params) {
      treeDispose(params);
      const previous = expectState(state, ["trace"], "trace").trace;
      const next = treeMap((g, t) => g.add(t.mul(decay)), treeRef(updates), previous);
      if (!nesterov) {
        treeDispose(updates);
        return [treeRef(next) as typeof updates, { trace: next }];
      }
      const out = treeMap((g, t) => g.add(t.mul(decay)), updates, treeRef(next));
      return [out as typeof updates, { trace: next }];
    },
  };
}
