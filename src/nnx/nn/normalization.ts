/**
 * BatchNorm and LayerNorm (Flax's nnx.BatchNorm / nnx.LayerNorm): statistics
 * in float32 with Flax's fast variance E[x²] - E[x]² (clipped at 0), then
 * (x - mean) / sqrt(var + epsilon) * scale + bias.
 */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import type { Rngs } from "../rnglib.js";
import { BatchStat, Param } from "../variablelib.js";
import { ones, zeros, type Initializer } from "./initializers.js";
import { checkArray, checkPositiveInt, layerName, shapeText } from "./layer-errors.js";
import { computeDtype } from "./options.js";

const np = jax.numpy;

/** Options shared by `nnx.BatchNorm` and `nnx.LayerNorm`. */
export interface NormOptions {
  /** Only random scale/bias initialisers draw from it; the default ones/zeros need none. */
  rngs?: Rngs;
  /** Added to the variance before the square root (BatchNorm 1e-5, LayerNorm 1e-6, as Flax). */
  epsilon?: number;
  /** The output dtype; by default the promotion of the input's and the params'. Statistics are always float32. */
  dtype?: jax.DType | null;
  /** The dtype of scale and bias (default float32). */
  paramDtype?: jax.DType;
  /** Whether to add a learned bias (default true). */
  useBias?: boolean;
  /** Whether to multiply by a learned scale (default true). */
  useScale?: boolean;
  /** Initializer of the bias [numFeatures] (default `initializers.zeros`). */
  biasInit?: Initializer;
  /** Initializer of the scale [numFeatures] (default `initializers.ones`). */
  scaleInit?: Initializer;
}

/** Options of `nnx.BatchNorm`; all optional. */
export interface BatchNormOptions extends NormOptions {
  /** Normalise with the running statistics instead of the batch's (default false; `model.eval()` sets it). */
  useRunningAverage?: boolean;
  /** The feature axis (default -1, channels last). */
  axis?: number;
  /** Decay of the running statistics: `running = momentum * running + (1 - momentum) * batch` (default 0.99). */
  momentum?: number;
}

function initParam(init: Initializer, isDefault: boolean, rngs: Rngs | undefined, shape: number[], dtype: jax.DType, what: string): Param {
  if (!rngs && !isDefault) throw new Error(`${what}: a custom initialiser needs options.rngs to draw from`);
  return new Param(init(rngs ? rngs.params() : jax.random.key(0), shape, dtype));
}

function canonicalAxis(axis: number, ndim: number): number {
  return axis < 0 ? axis + ndim : axis;
}

/** Mean and fast variance of float32 `x` over `axes`, keeping dims (consumes x). */
function moments(x: jax.Array, axes: number[]): [jax.Array, jax.Array] {
  const xf = x.astype(np.float32);
  const mean = np.mean(xf.ref, axes, { keepdims: true });
  const meanOfSquares = np.mean(np.square(xf), axes, { keepdims: true });
  const variance = np.maximum(meanOfSquares.sub(np.square(mean.ref)), 0);
  return [mean, variance];
}

/** (x - mean) / sqrt(var + eps), times scale, plus bias; every array consumed, all in `dtype`. */
function normalize(x: jax.Array, mean: jax.Array, variance: jax.Array, scale: jax.Array | null, bias: jax.Array | null, epsilon: number, dtype: jax.DType): jax.Array {
  let mul = np.reciprocal(np.sqrt(variance.add(epsilon)));
  if (scale) mul = mul.mul(scale);
  let y = x.astype(np.float32).sub(mean).mul(mul);
  if (bias) y = y.add(bias);
  return y.astype(dtype);
}

/**
 * Batch normalization over every axis but the feature axis (Flax's `nnx.BatchNorm`).
 *
 * In training (`useRunningAverage` false, the default, set by `model.train()`) it
 * normalises with the batch's mean and variance and folds them into the running
 * `mean` / `var` BatchStats; after `model.eval()` it uses the running ones.
 * Params: `scale` [numFeatures] (ones) and `bias` [numFeatures] (zeros).
 * Defaults as Flax: axis -1, momentum 0.99, epsilon 1e-5.
 *
 * @example
 * const bn = new nnx.BatchNorm(4);
 * const y = bn.call(np.ones([8, 4])); // [8, 4]; bn.mean, bn.var updated
 * bn.eval(); // later calls use the running statistics
 */
export class BatchNorm extends Module {
  readonly numFeatures: number;
  useRunningAverage: boolean;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  scale: Param | null;
  bias: Param | null;
  /** The running mean, float32 [numFeatures] (starts at zeros). */
  mean: BatchStat;
  /** The running variance, float32 [numFeatures] (starts at ones). */
  var: BatchStat;

  /**
   * A BatchNorm layer for `numFeatures` features on `options.axis` (default -1).
   *
   * @param numFeatures - the size of the feature axis.
   * @param options - `rngs` (only for random initializers), `useRunningAverage` (false), `axis` (-1),
   *   `momentum` (0.99), `epsilon` (1e-5), `dtype`, `paramDtype`, `useBias`, `useScale`, `biasInit`, `scaleInit`.
   */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkPositiveInt(numFeatures, "numFeatures", "BatchNorm");
    const {
      rngs,
      useRunningAverage = false,
      axis = -1,
      momentum = 0.99,
      epsilon = 1e-5,
      dtype = null,
      paramDtype = np.float32,
      useBias = true,
      useScale = true,
      biasInit = zeros,
      scaleInit = ones,
    } = options;
    if (!(momentum >= 0 && momentum <= 1)) throw new Error(`BatchNorm: momentum must be in [0, 1], got ${momentum}`);
    if (!(epsilon > 0)) throw new Error(`BatchNorm: epsilon must be positive, got ${epsilon}`);
    this.numFeatures = numFeatures;
    this.useRunningAverage = useRunningAverage;
    this.axis = axis;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.dtype = dtype;
    this.paramDtype = paramDtype;
    const shape = [numFeatures];
    this.scale = useScale ? initParam(scaleInit, scaleInit === ones, rngs, shape, paramDtype, "BatchNorm scaleInit") : null;
    this.bias = useBias ? initParam(biasInit, biasInit === zeros, rngs, shape, paramDtype, "BatchNorm biasInit") : null;
    this.mean = new BatchStat(np.zeros(shape, { dtype: np.float32 }));
    this.var = new BatchStat(np.ones(shape, { dtype: np.float32 }));
  }

  /**
   * Normalise with this batch's statistics and fold them into the running
   * ones (training), or with the running statistics (`useRunningAverage`).
   */
  call(x: jax.Array, { useRunningAverage }: { useRunningAverage?: boolean } = {}): jax.Array {
    checkArray(this, this.mean, x, "the input");
    const featureAxis = canonicalAxis(this.axis, x.ndim);
    if (featureAxis < 0 || featureAxis >= x.ndim || x.shape[featureAxis] !== this.numFeatures) {
      const shape = shapeText(x);
      x.dispose();
      throw new Error(
        `${layerName(this, this.mean)}: expected ${this.numFeatures} features on axis ${this.axis}, got input shape ${shape} ` +
          `(scale/mean shape [${this.numFeatures}])`,
      );
    }
    const dtype = this.dtype ?? computeDtype(x.dtype, this.paramDtype);
    const reductionAxes = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => i !== featureAxis);
    const statShape = x.shape.map((d, i) => (i === featureAxis ? d : 1));
    let mean: jax.Array;
    let variance: jax.Array;
    if (useRunningAverage ?? this.useRunningAverage) {
      mean = this.mean.value.reshape(statShape);
      variance = this.var.value.reshape(statShape);
    } else {
      [mean, variance] = moments(x.ref, reductionAxes);
      const m = this.momentum;
      this.mean.value = this.mean.value.mul(m).add(mean.ref.reshape([this.numFeatures]).mul(1 - m));
      this.var.value = this.var.value.mul(m).add(variance.ref.reshape([this.numFeatures]).mul(1 - m));
    }
    const scale = this.scale ? this.scale.value.astype(np.float32).reshape(statShape) : null;
    const bias = this.bias ? this.bias.value.astype(np.float32).reshape(statShape) : null;
    return normalize(x, mean, variance, scale, bias, this.epsilon, dtype);
  }
}

/** Options of `nnx.LayerNorm`; all optional. */
export interface LayerNormOptions extends NormOptions {
  /** Axes the statistics are taken over (default the last). */
  reductionAxes?: number | number[];
}

/**
 * Layer normalization (Flax's `nnx.LayerNorm`): each example is normalised
 * by its own mean and variance over `reductionAxes` (default the last axis),
 * `(x - mean) / sqrt(var + epsilon) * scale + bias`.
 *
 * Params: `scale` [numFeatures] (ones) and `bias` [numFeatures] (zeros), on the
 * last axis. Default epsilon 1e-6, as Flax. Keeps no running state.
 *
 * @example
 * const ln = new nnx.LayerNorm(4);
 * const y = ln.call(np.ones([2, 4])); // [2, 4]
 */
export class LayerNorm extends Module {
  readonly numFeatures: number;
  readonly epsilon: number;
  readonly reductionAxes: readonly number[];
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  scale: Param | null;
  bias: Param | null;

  /**
   * A LayerNorm layer for inputs whose last dimension is `numFeatures`.
   *
   * @param numFeatures - the size of the input's last axis (the shape of scale and bias).
   * @param options - `rngs` (only for random initializers), `epsilon` (1e-6), `reductionAxes` (-1),
   *   `dtype`, `paramDtype`, `useBias`, `useScale`, `biasInit`, `scaleInit`.
   */
  constructor(numFeatures: number, options: LayerNormOptions = {}) {
    super();
    checkPositiveInt(numFeatures, "numFeatures", "LayerNorm");
    const {
      rngs,
      epsilon = 1e-6,
      dtype = null,
      paramDtype = np.float32,
      useBias = true,
      useScale = true,
      biasInit = zeros,
      scaleInit = ones,
      reductionAxes = -1,
    } = options;
    if (!(epsilon > 0)) throw new Error(`LayerNorm: epsilon must be positive, got ${epsilon}`);
    this.numFeatures = numFeatures;
    this.epsilon = epsilon;
    this.reductionAxes = typeof reductionAxes === "number" ? [reductionAxes] : [...reductionAxes];
    this.dtype = dtype;
    this.paramDtype = paramDtype;
    const shape = [numFeatures];
    this.scale = useScale ? initParam(scaleInit, scaleInit === ones, rngs, shape, paramDtype, "LayerNorm scaleInit") : null;
    this.bias = useBias ? initParam(biasInit, biasInit === zeros, rngs, shape, paramDtype, "LayerNorm biasInit") : null;
  }

  /** Normalise `x` [..., numFeatures] (consumed); the result has `x`'s shape. */
  call(x: jax.Array): jax.Array {
    const named = this.scale ?? this.bias;
    checkArray(this, named, x, "the input");
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.numFeatures) {
      const shape = shapeText(x);
      x.dispose();
      throw new Error(`${layerName(this, named)}: the input's last dimension must be numFeatures = ${this.numFeatures}, got input shape ${shape}`);
    }
    const dtype = this.dtype ?? computeDtype(x.dtype, this.paramDtype);
    const axes = this.reductionAxes.map((a) => canonicalAxis(a, x.ndim));
    const [mean, variance] = moments(x.ref, axes);
    const scale = this.scale ? this.scale.value.astype(np.float32) : null;
    const bias = this.bias ? this.bias.value.astype(np.float32) : null;
    return normalize(x, mean, variance, scale, bias, this.epsilon, dtype);
  }
}
