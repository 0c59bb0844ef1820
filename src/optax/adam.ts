/** Adam's moment estimates with bias correction (Optax's scale_by_adam). */
import * as jax from "@jax-js/jax";
import { biasCorrection, incrementCount, zeroCount } from "./count.js";
import { checkNumber, expectState } from "./state.js";
import { treeDispose, treeMap, treeRef } from "./tree.js";
import type { GradientTransformation } from "./types.js";

const np = jax.numpy;

/** Hyper-parameters of Adam (`adam`, `adamw`, `scaleByAdam`). */
export interface AdamOptions {
  /** Decay of the first moment (the gradient's running mean); default 0.9. */
  b1?: number;
  /** Decay of the second moment (the squared gradient's running mean); default 0.999. */
  b2?: number;
  /** Added to the denominator outside the square root, for numerical stability; default 1e-8. */
  eps?: number;
  /** Added inside the square root (Optax's eps_root). */
  epsRoot?: number;
}

function zerosLike(p: jax.Array): jax.Array {
  const z = np.zeros(p.shape, { dtype: p.dtype, device: p.device });
  p.dispose();
  return z;
}

/**
 * Rescale updates by Adam's bias-corrected moments (Optax's `optax.scale_by_adam`):
 * `mu = b1 * mu + (1 - b1) * g`, `nu = b2 * nu + (1 - b2) * g²`, update
 * `muHat / (sqrt(nuHat + epsRoot) + eps)`. No learning rate: chain it with `scaleByLearningRate`.
 * State: `{ count, mu, nu }`.
 *
 * @example
 * const tx = optax.chain(optax.scaleByAdam({ b1: 0.9 }), optax.scaleByLearningRate(1e-3));
 */
export function scaleByAdam({ b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 }: AdamOptions = {}): GradientTransformation {
  const name = "scaleByAdam";
  checkNumber(b1, "b1", name, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkNumber(b2, "b2", name, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkNumber(eps, "eps", name, (v) => v >= 0, ">= 0");
  checkNumber(epsRoot, "epsRoot", name, (v) => v >= 0, ">= 0");
  return {
    init(params) {
      const mu = treeMap(zerosLike, treeRef(params));
      const nu = treeMap(zerosLike, params);
      return { count: zeroCount(), mu, nu };
    },
    update(updates, state, params) {
      treeDispose(params);
      const s = expectState(state, ["count", "mu", "nu"], name);
      const mu = treeMap((g, m) => m.mul(b1).add(g.mul(1 - b1)), treeRef(updates), s.mu);
      const nu = treeMap((g, v) => v.mul(b2).add(np.square(g).mul(1 - b2)), updates, s.nu);
      const count = incrementCount(s.count as jax.Array);
      const c1 = biasCorrection(b1, count.ref);
      const c2 = biasCorrection(b2, count.ref);
      const out = treeMap(
        (m, v) => {
          const muHat = m.div(c1.ref.astype(m.dtype));
          const nuHat = v.div(c2.ref.astype(v.dtype));
          return muHat.div(np.sqrt(epsRoot === 0 ? nuHat : nuHat.add(epsRoot)).add(eps));
        },
        treeRef(mu),
        treeRef(nu),
      );
      c1.dispose();
      c2.dispose();
      return [out as typeof updates, { count, mu, nu }];
    },
  };
}
