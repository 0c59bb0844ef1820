/** A dense layer, y = x @ kernel + bias (Flax's nnx.Linear). */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import { Rngs } from "../rnglib.js";
import { Param } from "../variablelib.js";
import { lecunNormal, zeros, type Initializer } from "./initializers.js";
import { checkArray, checkPositiveInt, layerName, shapeText } from "./layer-errors.js";
import { computeDtype, requireRngs } from "./options.js";

const np = jax.numpy;

export interface LinearOptions {
  rngs: Rngs;
  useBias?: boolean;
  /** The computation dtype; by default the promotion of the input's and the params'. */
  dtype?: jax.DType | null;
  paramDtype?: jax.DType;
  kernelInit?: Initializer;
  biasInit?: Initializer;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly useBias: boolean;
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  readonly kernelInit: Initializer;
  readonly biasInit: Initializer;
  kernel: Param;
  bias: Param | null;

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
