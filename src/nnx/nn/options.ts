/** Option handling the layers share. */
import * as jax from "@jax-js/jax";
import { Rngs } from "../rnglib.js";

const np = jax.numpy;

export function requireRngs(options: { rngs?: Rngs } | undefined, layer: string): Rngs {
  const rngs = options?.rngs;
  if (!(rngs instanceof Rngs)) {
    throw new Error(`${layer}: options.rngs must be an nnx.Rngs (it draws the initial parameters), got ${String(rngs)}`);
  }
  return rngs;
}

/** Flax's promote_dtype without an explicit dtype: the promotion of the input's and the params' dtypes. */
export function computeDtype(inputDtype: jax.DType, paramDtype: jax.DType): jax.DType {
  return np.promoteTypes(inputDtype, paramDtype);
}
