/** A lookup table of vectors (Flax's nnx.Embed): integer ids -> rows of `embedding`. */
import * as jax from "@jax-js/jax";
import { Module } from "../module.js";
import type { Rngs } from "../rnglib.js";
import { Param } from "../variablelib.js";
import { varianceScaling, type Initializer } from "./initializers.js";
import { checkArray, checkPositiveInt, layerName, shapeText } from "./layer-errors.js";
import { requireRngs } from "./options.js";

const np = jax.numpy;

/** Options of `nnx.Embed`; only `rngs` is required. */
export interface EmbedOptions {
  /** Draws the initial table (from its `params` stream, else `default`). */
  rngs: Rngs;
  /** The dtype of the rows `call` returns; by default the table's. */
  dtype?: jax.DType | null;
  /** The dtype of the table (default float32). */
  paramDtype?: jax.DType;
  /** Initializer of the table [numEmbeddings, features] (default: variance 1 / features, Flax's `variance_scaling(1.0, 'fan_in', 'normal', out_axis=0)`). */
  embeddingInit?: Initializer;
}

/**
 * A lookup table mapping integer ids to vectors (Flax's `nnx.Embed`).
 *
 * Param: `embedding` [numEmbeddings, features]. `call(ids)` takes int32 or uint32
 * ids of any shape and returns [...ids.shape, features]; `attend(query)` scores a
 * query [..., features] against every row: [..., numEmbeddings].
 *
 * @example
 * const embed = new nnx.Embed(10, 4, { rngs: new nnx.Rngs(0) });
 * const v = embed.call(np.array([1, 2, 3], { dtype: np.int32 })); // [3, 4]
 */
export class Embed extends Module {
  readonly numEmbeddings: number;
  readonly features: number;
  readonly dtype: jax.DType | null;
  readonly paramDtype: jax.DType;
  /** The table, [numEmbeddings, features]; row i is the vector of id i. */
  embedding: Param;

  /**
   * An Embed layer: the table `embedding` [numEmbeddings, features], drawn from `options.rngs`;
   * `call(ids)` returns [...ids.shape, features].
   *
   * @param numEmbeddings - the number of ids (rows of the table).
   * @param features - the size of each vector.
   * @param options - `rngs` (required), `dtype`, `paramDtype` (float32), `embeddingInit`.
   */
  constructor(numEmbeddings: number, features: number, options: EmbedOptions) {
    super();
    checkPositiveInt(numEmbeddings, "numEmbeddings", "Embed");
    checkPositiveInt(features, "features", "Embed");
    const rngs = requireRngs(options, "Embed");
    // Flax's default: variance 1/features (fan_in over the feature axis, out_axis 0).
    const { dtype = null, paramDtype = np.float32, embeddingInit = varianceScaling(1, "fan_in", "normal", { outAxis: 0 }) } = options;
    this.numEmbeddings = numEmbeddings;
    this.features = features;
    this.dtype = dtype;
    this.paramDtype = paramDtype;
    this.embedding = new Param(embeddingInit(rngs.params(), [numEmbeddings, features], paramDtype));
  }

  /** The rows for integer `ids` (any shape): shape [...ids.shape, features]. */
  call(ids: jax.Array): jax.Array {
    checkArray(this, this.embedding, ids, "the ids");
    if (ids.dtype !== np.int32 && ids.dtype !== np.uint32) {
      const what = `${ids.dtype}${shapeText(ids)}`;
      ids.dispose();
      throw new Error(`${layerName(this, this.embedding)}: ids must be an int32 or uint32 array, got ${what}`);
    }
    const rows = np.take(this.embedding.value, ids, 0);
    return this.dtype ? rows.astype(this.dtype) : rows;
  }

  /** Similarity of `query` [..., features] with every embedding: [..., numEmbeddings]. */
  attend(query: jax.Array): jax.Array {
    checkArray(this, this.embedding, query, "the query");
    if (query.ndim === 0 || query.shape[query.ndim - 1] !== this.features) {
      const shape = shapeText(query);
      query.dispose();
      throw new Error(`${layerName(this, this.embedding)}: the query's last dimension must be features = ${this.features}, got shape ${shape}`);
    }
    return np.matmul(query, this.embedding.value.transpose());
  }
}
