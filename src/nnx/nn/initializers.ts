/**
 * Parameter initialisers with JAX's names (camelCase) and semantics:
 * `init(key, shape, dtype)` returns a new array; the key is consumed (jax-js
 * move semantics), so pass a fresh one (`rngs.params()`).
 */
import * as jax from "@jax-js/jax";
import { shapesOnly } from "../shapes-only.js";
import { normalSample, truncatedNormalSample } from "./jax-samplers.js";

const np = jax.numpy;

/**
 * A parameter initializer, as JAX's: `init(key, shape, dtype = float32)` returns a new array.
 * The key is consumed, so pass a fresh one (`rngs.params()`).
 *
 * @example
 * const init = nnx.initializers.heNormal();
 * const w = init(new nnx.Rngs(0).params(), [3, 4]); // float32 [3, 4]
 */
export type Initializer = (key: jax.Array, shape: readonly number[], dtype?: jax.DType) => jax.Array;

/** Which fan `varianceScaling` divides by: fan_in, fan_out, or their mean. */
export type FanMode = "fan_in" | "fan_out" | "fan_avg";
/** What `varianceScaling` samples from (truncated_normal is cut at 2 standard deviations). */
export type Distribution = "truncated_normal" | "normal" | "uniform";

/** stddev of N(0, 1) truncated to [-2, 2]: dividing by it gives the truncated draw unit variance. */
const TRUNCATED_STDDEV = 0.87962566103423978;

function checkShape(shape: readonly number[], name: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${name}: shape must be a list of non-negative integers, got [${String(shape)}]`);
  }
  return [...shape];
}

function checkFloat(dtype: jax.DType, name: string): void {
  if (dtype !== np.float32 && dtype !== np.float64 && dtype !== np.float16) {
    throw new Error(`${name}: random values need a floating dtype, got ${dtype}`);
  }
}

/** `sample(key)` cast to `dtype`; under evalShape only its shape and dtype (the key is still consumed). */
function draw(key: jax.Array, shape: number[], dtype: jax.DType, sample: (key: jax.Array) => jax.Array): jax.Array {
  if (!shapesOnly()) return sample(key).astype(dtype);
  key.dispose();
  return np.zeros(shape, { dtype });
}

/** An array of zeros (JAX's `initializers.zeros`); the default bias initializer. Use it as is: `biasInit: nnx.initializers.zeros`. */
export const zeros: Initializer = (key, shape, dtype = np.float32) => {
  key.dispose();
  return np.zeros(checkShape(shape, "zeros"), { dtype });
};

/** An array of ones (JAX's `initializers.ones`); the default scale of the normalization layers. */
export const ones: Initializer = (key, shape, dtype = np.float32) => {
  key.dispose();
  return np.ones(checkShape(shape, "ones"), { dtype });
};

/**
 * An initializer filling every element with `value` (JAX's `initializers.constant`).
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0), biasInit: nnx.initializers.constant(0.1) });
 */
export function constant(value: number): Initializer {
  return (key, shape, dtype = np.float32) => {
    key.dispose();
    return np.full(checkShape(shape, "constant"), value, { dtype });
  };
}

/**
 * An initializer drawing from N(0, stddev²) (JAX's `initializers.normal`, default stddev 1e-2); floating dtypes only.
 *
 * @example
 * const embed = new nnx.Embed(10, 4, { rngs: new nnx.Rngs(0), embeddingInit: nnx.initializers.normal(0.02) });
 */
export function normal(stddev = 1e-2): Initializer {
  return (key, shape, dtype = np.float32) => {
    checkFloat(dtype, "normal");
    const dims = checkShape(shape, "normal");
    return draw(key, dims, dtype, (k) => normalSample(k, dims).mul(stddev));
  };
}

/** Uniform on [0, scale). */
export function uniform(scale = 1e-2): Initializer {
  return (key, shape, dtype = np.float32) => {
    checkFloat(dtype, "uniform");
    const dims = checkShape(shape, "uniform");
    return draw(key, dims, dtype, (k) => jax.random.uniform(k, dims).mul(scale));
  };
}

/**
 * An initializer drawing from a standard normal truncated to [lower, upper] (default [-2, 2]),
 * then multiplied by `stddev` (JAX's `initializers.truncated_normal`, default stddev 1e-2).
 * As in JAX the truncation makes the actual standard deviation somewhat below `stddev`.
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0), kernelInit: nnx.initializers.truncatedNormal(0.02) });
 */
export function truncatedNormal(stddev = 1e-2, { lower = -2, upper = 2 } = {}): Initializer {
  if (!(lower < upper)) throw new Error(`truncatedNormal: lower (${lower}) must be below upper (${upper})`);
  return (key, shape, dtype = np.float32) => {
    checkFloat(dtype, "truncatedNormal");
    const dims = checkShape(shape, "truncatedNormal");
    return draw(key, dims, dtype, (k) => truncatedNormalSample(k, lower, upper, dims).mul(stddev));
  };
}

/** Which axes of a kernel's shape are its input, output and batch axes (defaults -2, -1, none), for computing fans. */
export interface FanAxes {
  inAxis?: number | number[];
  outAxis?: number | number[];
  batchAxis?: number[];
}

/** fan_in and fan_out of a kernel: its in/out sizes times the receptive field (all other axes). */
export function computeFans(shape: readonly number[], { inAxis = -2, outAxis = -1, batchAxis = [] }: FanAxes = {}): [number, number] {
  if (shape.length < 2) {
    throw new Error(`varianceScaling: cannot compute fans of a ${shape.length}-dimensional shape [${shape}]; it needs at least 2 dimensions`);
  }
  const sizeOf = (axes: number | number[]) =>
    (Array.isArray(axes) ? axes : [axes]).reduce((n, a) => {
      const i = a < 0 ? a + shape.length : a;
      if (i < 0 || i >= shape.length) throw new Error(`varianceScaling: axis ${a} is out of range for shape [${shape}]`);
      return n * shape[i]!;
    }, 1);
  const inSize = sizeOf(inAxis);
  const outSize = sizeOf(outAxis);
  const total = shape.reduce((a, b) => a * b, 1);
  const receptiveField = total / inSize / outSize / sizeOf(batchAxis);
  return [inSize * receptiveField, outSize * receptiveField];
}

/** JAX's variance_scaling: samples with variance scale / fan (fan chosen by `mode`). */
export function varianceScaling(scale: number, mode: FanMode, distribution: Distribution, axes: FanAxes = {}): Initializer {
  if (!(scale > 0)) throw new Error(`varianceScaling: scale must be positive, got ${scale}`);
  if (!["fan_in", "fan_out", "fan_avg"].includes(mode)) {
    throw new Error(`varianceScaling: mode must be fan_in, fan_out or fan_avg, got ${String(mode)}`);
  }
  if (!["truncated_normal", "normal", "uniform"].includes(distribution)) {
    throw new Error(`varianceScaling: distribution must be truncated_normal, normal or uniform, got ${String(distribution)}`);
  }
  return (key, shape, dtype = np.float32) => {
    checkFloat(dtype, "varianceScaling");
    const dims = checkShape(shape, "varianceScaling");
    const [fanIn, fanOut] = computeFans(dims, axes);
    const denominator = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
    const variance = scale / denominator;
    return draw(key, dims, dtype, (k) => {
      if (distribution === "truncated_normal") return truncatedNormalSample(k, -2, 2, dims).mul(Math.sqrt(variance) / TRUNCATED_STDDEV);
      if (distribution === "normal") return normalSample(k, dims).mul(Math.sqrt(variance));
      return jax.random.uniform(k, dims, { minval: -1, maxval: 1 }).mul(Math.sqrt(3 * variance));
    });
  };
}

/**
 * LeCun normal (JAX's `initializers.lecun_normal`): truncated normal with variance 1 / fan_in.
 * The default kernel initializer of `nnx.Linear` and `nnx.Conv`.
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0), kernelInit: nnx.initializers.lecunNormal() });
 */
export const lecunNormal = (axes?: FanAxes) => varianceScaling(1, "fan_in", "truncated_normal", axes);
/** LeCun uniform (JAX's `initializers.lecun_uniform`): uniform with variance 1 / fan_in. */
export const lecunUniform = (axes?: FanAxes) => varianceScaling(1, "fan_in", "uniform", axes);
/**
 * He / Kaiming normal (JAX's `initializers.he_normal`): truncated normal with variance 2 / fan_in, suited to ReLU.
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0), kernelInit: nnx.initializers.heNormal() });
 */
export const heNormal = (axes?: FanAxes) => varianceScaling(2, "fan_in", "truncated_normal", axes);
/** He / Kaiming uniform (JAX's `initializers.he_uniform`): uniform with variance 2 / fan_in. */
export const heUniform = (axes?: FanAxes) => varianceScaling(2, "fan_in", "uniform", axes);
/** Glorot / Xavier normal (JAX's `initializers.glorot_normal`): truncated normal with variance 2 / (fan_in + fan_out). */
export const glorotNormal = (axes?: FanAxes) => varianceScaling(1, "fan_avg", "truncated_normal", axes);
/**
 * Glorot / Xavier uniform (JAX's `initializers.glorot_uniform`): uniform with variance 2 / (fan_in + fan_out).
 *
 * @example
 * const conv = new nnx.Conv(3, 8, [3, 3], { rngs: new nnx.Rngs(0), kernelInit: nnx.initializers.glorotUniform() });
 */
export const glorotUniform = (axes?: FanAxes) => varianceScaling(1, "fan_avg", "uniform", axes);
/** Another name of `glorotNormal` (JAX's `initializers.xavier_normal`). */
export const xavierNormal = glorotNormal;
/** Another name of `glorotUniform` (JAX's `initializers.xavier_uniform`). */
export const xavierUniform = glorotUniform;
/** Another name of `heNormal` (JAX's `initializers.kaiming_normal`). */
export const kaimingNormal = heNormal;
/** Another name of `heUniform` (JAX's `initializers.kaiming_uniform`). */
export const kaimingUniform = heUniform;
