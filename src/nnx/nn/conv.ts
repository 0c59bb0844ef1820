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

export interface ConvOptions {
  rngs: Rngs;
  strides?: number | number[];
  padding?: ConvPadding;
  inputDilation?: number | number[];
  kernelDilation?: number | number[];
  featureGroupCount?: number;
  useBias?: boolean;
  dtype?: jax.DType | null;
  paramDtype?: jax.DType;
  kernelInit?: Initializer;
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
  kernel: Param;
  bias: Param | null;

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
