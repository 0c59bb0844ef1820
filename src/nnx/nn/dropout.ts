/**
 * Dropout (Flax's nnx.Dropout): in training, zero each element with
 * probability `rate` and scale the rest by 1 / (1 - rate); the identity when
 * `deterministic` (set by `model.eval()`). As in Flax, the layer keeps its own
 * stream, forked from the `rngCollection` stream of the Rngs it was given
 * (state paths `<layer>.rngs.key` / `.count`, Python's).
 */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import { Rngs, RngStream } from "../rnglib.js";
import { checkArray } from "./layer-errors.js";

const np = jax.numpy;

/** Where mask keys come from: an Rngs (its `rngCollection` stream), one stream, or a key. */
export type DropoutRngs = Rngs | RngStream | jax.Array;

/** Options of `nnx.Dropout`. */
export interface DropoutOptions {
  /** Where mask keys come from: the layer forks its own stream from it at construction. Without it, `call` needs `options.rngs` unless deterministic. */
  rngs?: Rngs | RngStream;
  /** Return the input unchanged (default false; `model.eval()` sets it to true). */
  deterministic?: boolean;
  /** Axes along which the same mask is shared. */
  broadcastDims?: number[];
  /** The Rngs stream drawn from (default "dropout"). */
  rngCollection?: string;
}

/**
 * Randomly zeroes elements in training (Flax's `nnx.Dropout`).
 *
 * Each element is kept with probability `1 - rate` and scaled by `1 / (1 - rate)`;
 * with `deterministic` (set by `model.eval()`) or rate 0 the input is returned unchanged.
 * Mask keys come from the layer's own stream, forked at construction from the
 * `rngCollection` ("dropout") stream of `rngs` (else its `default`), or from `call`'s `rngs`.
 *
 * @example
 * const dropout = new nnx.Dropout(0.5, { rngs: new nnx.Rngs(0) });
 * const y = dropout.call(np.ones([2, 4])); // [2, 4]: each element 0 or 2
 * dropout.eval(); // from now on the identity
 */
export class Dropout extends Module {
  readonly rate: number;
  deterministic: boolean;
  readonly broadcastDims: readonly number[];
  readonly rngCollection: string;
  rngs: RngStream | null;

  /**
   * A Dropout layer with drop probability `rate` in [0, 1].
   *
   * @param rate - the probability of zeroing each element.
   * @param options - `rngs`, `deterministic` (false), `broadcastDims` ([]), `rngCollection` ("dropout").
   */
  constructor(rate: number, { rngs, deterministic = false, broadcastDims = [], rngCollection = "dropout" }: DropoutOptions = {}) {
    super();
    if (!(rate >= 0 && rate <= 1)) throw new Error(`Dropout: rate must be in [0, 1], got ${rate}`);
    if (rngs !== undefined && !(rngs instanceof Rngs) && !(rngs instanceof RngStream)) {
      throw new Error(`Dropout: options.rngs must be an nnx.Rngs or RngStream, got ${String(rngs)}`);
    }
    this.rate = rate;
    this.deterministic = deterministic;
    this.broadcastDims = [...broadcastDims];
    this.rngCollection = rngCollection;
    const source = rngs instanceof Rngs ? rngs.stream(rngCollection) : rngs;
    this.rngs = source ? source.fork() : null;
  }

  /**
   * Apply dropout to `x` (consumed); the result has `x`'s shape.
   * `options.deterministic` overrides the layer's flag for this call; `options.rngs`
   * (an Rngs, a stream or a key) replaces the layer's own stream for this call.
   */
  call(x: jax.Array, options: { deterministic?: boolean; rngs?: DropoutRngs } = {}): jax.Array {
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
    const key = rngs instanceof Rngs ? rngs.stream(this.rngCollection)() : rngs instanceof RngStream ? rngs() : rngs;
    const keep = jax.random.bernoulli(key, keepProb, maskShape);
    return np.where(keep, x.div(keepProb), 0);
  }
}
