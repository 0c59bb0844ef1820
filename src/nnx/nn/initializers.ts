/**
 * Parameter initialisers with JAX's names (camelCase) and semantics:
 * `init(key, shape, dtype)` returns a new array; the key is consumed (jax-js
 * move semantics), so pass a fresh one (`rngs.params()`).
 */
import * as jax from "@jax-js/jax";
import { shapesOnly } from "../shapes-only.js";
import { normalSample, truncatedNormalSample } from "./jax-samplers.js";

const np = jax.numpy;

export type Initializer = (key: jax.Array, shape: readonly number[], dtype?: jax.DType) => jax.Array;

export type FanMode = "fan_in" | "fan_out" | "fan_avg";
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

export const zeros: Initializer = (key, shape, dtype = np.float32) => {
  key.dispose();
  return np.zeros(checkShape(shape, "zeros"), { dtype });
};

export const ones: Initializer = (key, shape, dtype = np.float32) => {
  key.dispose();
  return np.ones(checkShape(shape, "ones"), { dtype });
};

export function constant(value: number): Initializer {
  return (key, shape, dtype = np.float32) => {
    key.dispose();
    return np.full(checkShape(shape, "constant"), value, { dtype });
  };
}

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

export function truncatedNormal(stddev = 1e-2, { lower = -2, upper = 2 } = {}): Initializer {
  if (!(lower < upper)) throw new Error(`truncatedNormal: lower (${lower}) must be below upper (${upper})`);
  return (key, shape, dtype = np.float32) => {
    checkFloat(dtype, "truncatedNormal");
    const dims = checkShape(shape, "truncatedNormal");
    return draw(key, dims, dtype, (k) => truncatedNormalSample(k, lower, upper, dims).mul(stddev));
  };
}

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

export const lecunNormal = (axes?: FanAxes) => varianceScaling(1, "fan_in", "truncated_normal", axes);
export const lecunUniform = (axes?: FanAxes) => varianceScaling(1, "fan_in", "uniform", axes);
export const heNormal = (axes?: FanAxes) => varianceScaling(2, "fan_in", "truncated_normal", axes);
export const heUniform = (axes?: FanAxes) => varianceScaling(2, "fan_in", "uniform", axes);
export const glorotNormal = (axes?: FanAxes) => varianceScaling(1, "fan_avg", "truncated_normal", axes);
export const glorotUniform = (axes?: FanAxes) => varianceScaling(1, "fan_avg", "uniform", axes);
export const xavierNormal = glorotNormal;
export const xavierUniform = glorotUniform;
export const kaimingNormal = heNormal;
export const kaimingUniform = heUniform;
