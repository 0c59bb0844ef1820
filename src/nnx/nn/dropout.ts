/**
 * Dropout (Flax's nnx.Dropout): in training, zero each element with
 * probability `rate` and scale the rest by 1 / (1 - rate); the identity when
 * `deterministic` (set by `model.eval()`).
 */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import { Rngs } from "../rnglib.js";
import { checkArray, shapeText } from "./layer-errors.js";

const np = jax.numpy;

export interface DropoutOptions {
  rngs?: Rngs;
  deterministic?: boolean;
  /** Axes along which the same mask is shared. */
  broadcastDims?: number[];
  /** The Rngs stream drawn from (default "dropout"). */
  rngCollection?: string;
}

export class Dropout extends Module {
  readonly rate: number;
  deterministic: boolean;
  readonly broadcastDims: readonly number[];
  readonly rngCollection: string;
  rngs: Rngs | null;

  constructor(rate: number, { rngs, deterministic = false, broadcastDims = [], rngCollection = "dropout" }: DropoutOptions = {}) {
    super();
    if (!(rate >= 0 && rate <= 1)) throw new Error(`Dropout: rate must be in [0, 1], got ${rate}`);
    if (rngs !== undefined && !(rngs instanceof Rngs)) throw new Error(`Dropout: options.rngs must be an nnx.Rngs, got ${String(rngs)}`);
    this.rate = rate;
    this.deterministic = deterministic;
    this.broadcastDims = [...broadcastDims];
    this.rngCollection = rngCollection;
    this.rngs = rngs ?? null;
  }

  call(x: jax.Array, options: { deterministic?: boolean; rngs?: Rngs } = {}): jax.Array {
    checkArray(this, null, x, "the input");
    if (this.rate === 0 || (options.deterministic ?? this.deterministic)) return x;
    if (this.rate === 1) {
      const z = np.zeros(x.shape, { dtype: x.dtype });
      x.dispose();
      return z;
    }
    const rngs = options.rngs ?? this.rngs;
    if (!rngs) {
      x.dispose();
      throw new Error(`Dropout: not deterministic and no rngs to draw the mask from; pass options.rngs, or call model.eval()`);
    }
    const keepProb = 1 - this.rate;
    const maskShape = x.shape.map((d, i) => (this.broadcastDims.some((b) => (b < 0 ? b + x.ndim : b) === i) ? 1 : d));
    if (maskShape.length !== x.ndim) throw new Error(`Dropout: bad broadcastDims for input shape ${shapeText(x)}`);
    const keep = jax.random.bernoulli(rngs.stream(this.rngCollection)(), keepProb, maskShape);
    return np.where(keep, x.div(keepProb), 0);
  }
}
