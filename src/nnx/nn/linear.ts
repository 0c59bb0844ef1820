/** A dense layer, y = x @ kernel + bias (Flax's nnx.Linear). */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import { Rngs } from "../rnglib.js";
import { Param } from "../variablelib.js";
import { lecunNormal, zeros, type Initializer } from "./initializers.js";
import { checkArray, checkPositiveInt, layerName, shapeText } from "./layer-errors.js";
import { computeDtype, requireRngs } from "./options.js";

const np = jax.numpy;

/** Options of `nnx.Linear`; only `rngs` is required. */
export interface LinearOptions {
  /** Draws the initial kernel and bias (from its `params` stream, else `default`). */
  rngs: Rngs;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** The computation dtype; by default the promotion of the input's and the params'. */
  dtype?: jax.DType | null;
  /** The dtype of kernel and bias (default float32). */
  paramDtype?: jax.DType;
  /** Initializer of the kernel [inFeatures, outFeatures] (default `initializers.lecunNormal()`). */
  kernelInit?: Initializer;
  /** Initializer of the bias [outFeatures] (default `initializers.zeros`). */
  biasInit?: Initializer;
}

/**
 * A linear transformation over the last dimension of the input,
 * `y = x @ kernel + bias` (Flax's `nnx.Linear`).
 *
 * Params: `kernel` [inFeatures, outFeatures] (default init `lecunNormal()`) and
 * `bias` [outFeatures] (zeros; `null` with `useBias: false`).
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0) });
 * const y = layer.call(np.ones([2, 3])); // [2, 4]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly useBias: boolean;
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  readonly kernelInit: Initializer;
  readonly biasInit: Initializer;
  /** The weights, [inFeatures, outFeatures]. */
  kernel: Param;
  /** The bias, [outFeatures]; null when `useBias` is false. */
  bias: Param | null;

  /**
   * A Linear layer: `kernel` [inFeatures, outFeatures] and `bias` [outFeatures], drawn from
   * `options.rngs`; `call(x)` maps [..., inFeatures] to [..., outFeatures].
   *
   * @param inFeatures - the size of the input's last dimension.
   * @param outFeatures - the size of the output's last dimension.
   * @param options - `rngs` (required), `useBias` (true), `dtype`, `paramDtype` (float32),
   *   `kernelInit` (`lecunNormal()`), `biasInit` (`zeros`).
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    super();
    checkPositiveInt(inFeatures, "inFeatures", "Linear");
    checkPositiveInt(outFeatures, "outFeatures", "Linear");
    const rngs = requireRngs(options, "Linear");
    const { useBias = true, dtype = null, paramDtype = np.float32, kernelInit = lecunNormal(), biasInit = zeros } = options;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.useBias = useBias;
    this.dtype = dtype;
    this.paramDtype = paramDtype;
    this.kernelInit = kernelInit;
    this.biasInit = biasInit;
    this.kernel = new Param(kernelInit(rngs.params(), [inFeatures, outFeatures], paramDtype));
    this.bias = useBias ? new Param(biasInit(rngs.params(), [outFeatures], paramDtype)) : null;
  }

  /**
   * The forward pass: `x` [..., inFeatures] -> [..., outFeatures].
   * `x` is consumed (jax-js move semantics); pass `x.ref` to keep it.
   */
  call(x: jax.Array): jax.Array {
    checkArray(this, this.kernel, x, "the input");
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      const shape = shapeText(x);
      x.dispose();
      throw new Error(
        `${layerName(this, this.kernel)}: the input's last dimension must be inFeatures = ${this.inFeatures}, ` +
          `got input shape ${shape} (kernel shape [${this.inFeatures}, ${this.outFeatures}])`,
      );
    }
    const dtype = this.dtype ?? computeDtype(x.dtype, this.paramDtype);
    let y = np.matmul(x.astype(dtype), this.kernel.value.astype(dtype));
    if (this.bias) y = y.add(this.bias.value.astype(dtype));
    return y;
  }
}
