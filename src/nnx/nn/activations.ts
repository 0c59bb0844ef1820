/** Activation functions, re-exported from jax-js as Flax re-exports jax.nn's. */
import { nn, numpy } from "@jax-js/jax";

export const {
  celu,
  elu,
  gelu,
  glu,
  hardSigmoid,
  hardSilu,
  hardSwish,
  hardTanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  logsumexp,
  oneHot,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softplus,
  softSign,
  standardize,
  swish,
} = nn;
export const { tanh } = numpy;
