/**
 * N-dimensional convolution over channels-last inputs (Flax's nnx.Conv):
 * input [batch..., spatial..., inFeatures], kernel [...kernelSize,
 * inFeatures / featureGroupCount, outFeatures]. jax-js's convolution is
 * channels-first, so inputs and kernel are transposed around it.
 */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import { Rngs } from "../rnglib.js";
import { Param } from "../variablelib.js";
import { lecunNormal, zeros, type Initializer } from "./initializers.js";
import { checkArray, checkPositiveInt, layerName, shapeText } from "./layer-errors.js";
import { computeDtype, requireRngs } from "./options.js";

const np = jax.numpy;

/** 'SAME' | 'VALID', one padding for every side, or a [low, high] pair per spatial dimension. */
export type ConvPadding = "SAME" | "VALID" | number | [number, number][];

/** Options of `nnx.Conv`; only `rngs` is required. Per-dimension options take one number for every spatial dimension or one per dimension. */
export interface ConvOptions {
  /** Draws the initial kernel and bias (from its `params` stream, else `default`). */
  rngs: Rngs;
  /** The window stride per spatial dimension (default 1). */
  strides?: number | number[];
  /** "SAME" (default), "VALID", one padding for every side, or a [low, high] pair per spatial dimension. */
  padding?: ConvPadding;
  /** Dilation of the input (transposed convolution), per spatial dimension (default 1). */
  inputDilation?: number | number[];
  /** Dilation of the kernel (atrous convolution), per spatial dimension (default 1). */
  kernelDilation?: number | number[];
  /** Feature groups (default 1); must divide inFeatures and outFeatures. */
  featureGroupCount?: number;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** The computation dtype; by default the promotion of the input's and the params'. */
  dtype?: jax.DType | null;
  /** The dtype of kernel and bias (default float32). */
  paramDtype?: jax.DType;
  /** Initializer of the kernel (default `initializers.lecunNormal()`). */
  kernelInit?: Initializer;
  /** Initializer of the bias [outFeatures] (default `initializers.zeros`). */
  biasInit?: Initializer;
}

function perDimension(value: number | number[], n: number, name: string): number[] {
  const list = typeof value === "number" ? Array<number>(n).fill(value) : [...value];
  if (list.length !== n || list.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`Conv: ${name} must be a positive integer or ${n} of them, got ${JSON.stringify(value)}`);
  }
  return list;
}

function normalizePadding(padding: ConvPadding, n: number): "SAME" | "VALID" | [number, number][] {
  if (padding === "SAME" || padding === "VALID") return padding;
  if (typeof padding === "number" && Number.isInteger(padding) && padding >= 0) return Array.from({ length: n }, () => [padding, padding]);
  if (
    Array.isArray(padding) &&
    padding.length === n &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v)))
  ) {
    return padding.map(([lo, hi]) => [lo, hi]);
  }
  throw new Error(`Conv: padding must be 'SAME', 'VALID', an integer or ${n} [low, high] pairs, got ${JSON.stringify(padding)}`);
}

/**
 * A convolution over channels-last inputs, in as many spatial dimensions
 * as `kernelSize` has entries (Flax's `nnx.Conv`).
 *
 * Input [batch..., ...spatial, inFeatures] (no batch dimension, or several, also work);
 * output [batch..., ...outSpatial, outFeatures]. Params: `kernel`
 * [...kernelSize, inFeatures / featureGroupCount, outFeatures] (default init `lecunNormal()`)
 * and `bias` [outFeatures] (zeros; `null` with `useBias: false`). Defaults as Flax:
 * strides 1, padding "SAME", no dilation, one feature group.
 *
 * @example
 * const conv = new nnx.Conv(3, 8, [3, 3], { rngs: new nnx.Rngs(0) });
 * const y = conv.call(np.ones([2, 32, 32, 3])); // [2, 32, 32, 8]
 */
export class Conv extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly kernelSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: "SAME" | "VALID" | [number, number][];
  readonly inputDilation: readonly number[];
  readonly kernelDilation: readonly number[];
  readonly featureGroupCount: number;
  readonly useBias: boolean;
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  /** The filters, [...kernelSize, inFeatures / featureGroupCount, outFeatures]. */
  kernel: Param;
  /** The bias, [outFeatures]; null when `useBias` is false. */
  bias: Param | null;

  /**
   * A Conv layer: `kernel` [...kernelSize, inFeatures / featureGroupCount, outFeatures] and
   * `bias` [outFeatures], drawn from `options.rngs`; inputs are channels-last.
   *
   * @param inFeatures - the number of input channels (the input's last dimension).
   * @param outFeatures - the number of output channels.
   * @param kernelSize - the window size per spatial dimension; a number means one spatial dimension.
   * @param options - `rngs` (required), `strides`, `padding`, `inputDilation`, `kernelDilation`,
   *   `featureGroupCount`, `useBias`, `dtype`, `paramDtype`, `kernelInit`, `biasInit`.
   */
  constructor(inFeatures: number, outFeatures: number, kernelSize: number | number[], options: ConvOptions) {
    super();
    checkPositiveInt(inFeatures, "inFeatures", "Conv");
    checkPositiveInt(outFeatures, "outFeatures", "Conv");
    const rngs = requireRngs(options, "Conv");
    const size = typeof kernelSize === "number" ? [kernelSize] : [...kernelSize];
    if (size.length === 0 || size.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new Error(`Conv: kernelSize must be a positive integer or a list of them, got ${JSON.stringify(kernelSize)}`);
    }
    const n = size.length;
    const {
      strides = 1,
      padding = "SAME",
      inputDilation = 1,
      kernelDilation = 1,
      featureGroupCount = 1,
      useBias = true,
      dtype = null,
      paramDtype = np.float32,
      kernelInit = lecunNormal(),
      biasInit = zeros,
    } = options;
    checkPositiveInt(featureGroupCount, "featureGroupCount", "Conv");
    if (inFeatures % featureGroupCount !== 0 || outFeatures % featureGroupCount !== 0) {
      throw new Error(
        `Conv: featureGroupCount ${featureGroupCount} must divide inFeatures (${inFeatures}) and outFeatures (${outFeatures})`,
      );
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.kernelSize = size;
    this.strides = perDimension(strides, n, "strides");
    this.padding = normalizePadding(padding, n);
    this.inputDilation = perDimension(inputDilation, n, "inputDilation");
    this.kernelDilation = perDimension(kernelDilation, n, "kernelDilation");
    this.featureGroupCount = featureGroupCount;
    this.useBias = useBias;
    this.dtype = dtype;
    this.paramDtype = paramDtype;
    const kernelShape = [...size, inFeatures / featureGroupCount, outFeatures];
    this.kernel = new Param(kernelInit(rngs.params(), kernelShape, paramDtype));
    this.bias = useBias ? new Param(biasInit(rngs.params(), [outFeatures], paramDtype)) : null;
  }

  /**
   * The forward pass: `x` [batch..., ...spatial, inFeatures] -> [batch..., ...outSpatial, outFeatures].
   * `x` is consumed (jax-js move semantics); pass `x.ref` to keep it.
   */
  call(x: jax.Array): jax.Array {
    checkArray(this, this.kernel, x, "the input");
    const n = this.kernelSize.length;
    if (x.ndim < n + 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      const shape = shapeText(x);
      x.dispose();
      throw new Error(
        `${layerName(this, this.kernel)}: expected input [batch..., ${n} spatial dims, ${this.inFeatures} features], ` +
          `got shape ${shape} (kernel shape [${[...this.kernelSize, this.inFeatures / this.featureGroupCount, this.outFeatures].join(", ")}])`,
      );
    }
    const dtype = this.dtype ?? computeDtype(x.dtype, this.paramDtype);
    const batchDims = x.shape.slice(0, x.ndim - n - 1);
    const inner = x.shape.slice(x.ndim - n - 1);
    // One batch dimension for jax-js: none (unbatched) or several are folded into one.
    const lhs = x.astype(dtype).reshape([batchDims.reduce((a, b) => a * b, 1), ...inner]);
    const spatial = Array.from({ length: n }, (_, i) => i + 1);
    const nchw = lhs.transpose([0, n + 1, ...spatial]);
    const oihw = this.kernel.value.astype(dtype).transpose([n + 1, n, ...spatial.map((i) => i - 1)]);
    const out = jax.lax.convGeneralDilated(nchw, oihw, [...this.strides], this.padding, {
      lhsDilation: [...this.inputDilation],
      rhsDilation: [...this.kernelDilation],
      featureGroupCount: this.featureGroupCount,
    });
    let y = out.transpose([0, ...spatial.map((i) => i + 1), 1]);
    if (this.bias) y = y.add(this.bias.value.astype(dtype));
    return y.reshape([...batchDims, ...y.shape.slice(1)]);
  }
}
