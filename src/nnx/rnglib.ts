/**
 * Random streams (Flax's `rnglib`). `new Rngs(0)` has one `default` stream;
 * `new Rngs({ params: 0, dropout: 1 })` one per name. Each stream holds an
 * `RngKey` (jax-js's raw uint32[2] threefry key) and an `RngCount`; calling
 * it returns fold_in(key, count) and increments count, exactly as Flax does
 * (so the keys equal Python's bit for bit). Both are Variables, so they are
 * in the state, checkpointed, and updated by `nnx.jit`.
 */
import * as jax from "@jax-js/jax";
import { describeLeaf, isJaxArray } from "./arrays.js";
import { Pytree, createEmpty } from "./pytreelib.js";
import { shapesOnly } from "./shapes-only.js";
import { RngCount, RngKey } from "./variablelib.js";
import { foldIn } from "./threefry.js";

const np = jax.numpy;

/** A seed (32-bit integer) or a raw uint32[2] key, which the stream takes. */
export type RngSeed = number | jax.Array;

function makeKey(seed: RngSeed, name: string): jax.Array {
  if (typeof seed === "number") {
    if (!Number.isInteger(seed)) throw new Error(`Rngs: the seed of stream "${name}" must be an integer, got ${seed}`);
    return jax.random.key(seed);
  }
  if (isJaxArray(seed)) {
    if (seed.ndim === 0) return jax.random.key(seed);
    if (seed.shape.length === 1 && seed.shape[0] === 2 && seed.dtype === "uint32") return seed;
    throw new Error(`Rngs: stream "${name}" needs an integer seed or a uint32[2] key, got ${describeLeaf(seed)}`);
  }
  throw new Error(`Rngs: stream "${name}" needs an integer seed or a uint32[2] key, got ${describeLeaf(seed)}`);
}

/** Calling a stream returns its next key: `rngs.params()`. */
export interface RngStream {
  (): jax.Array;
}

/**
 * One random stream (Flax's `nnx.RngStream`): a base key (`RngKey`) and a counter (`RngCount`).
 *
 * Calling the stream returns its next key, fold_in(key, count), and increments the
 * count; `fork()` makes a new stream from the next key. Usually reached through an
 * Rngs: `rngs.params`, `rngs.dropout`, `rngs.stream("noise")`.
 *
 * @example
 * const stream = new nnx.Rngs({ dropout: 1 }).dropout;
 * const k1 = stream();
 * const k2 = stream(); // a different key
 */
export class RngStream extends Pytree {
  declare key: RngKey;
  declare count: RngCount;
  declare tag: string;

  /**
   * A stream from an integer seed or a uint32[2] key, with count 0.
   *
   * @param seed - an integer seed or a raw uint32[2] key.
   * @param tag - the stream's name (recorded as the `tag` of its Variables).
   */
  constructor(seed: RngSeed, tag: string) {
    super();
    const stream = RngStream[createEmpty]() as RngStream;
    stream.key = new RngKey(makeKey(seed, tag), { tag });
    stream.count = new RngCount(np.zeros([], { dtype: np.uint32 }), { tag });
    stream.tag = tag;
    return stream;
  }

  /**
   * A new stream whose key is this stream's next key, with count 0 and the
   * same tag (Flax's `RngStream.fork()`): advances this stream by one.
   */
  fork(): RngStream {
    return new RngStream(nextKey(this), this.tag);
  }

  /** A callable instance (a function whose prototype is RngStream's). */
  static override [createEmpty](): Pytree {
    const stream = function (): jax.Array {
      return nextKey(stream as unknown as RngStream);
    };
    Object.setPrototypeOf(stream, RngStream.prototype);
    return stream as unknown as Pytree;
  }
}

function nextKey(stream: RngStream): jax.Array {
  const count = stream.count.value;
  // Under evalShape no key's value can be seen: a placeholder of the key's shape spares tracing threefry per key.
  const key = shapesOnly() ? np.zeros([2], { dtype: np.uint32 }) : foldIn(stream.key.value, count.ref);
  stream.count.value = count.add(np.array(1, { dtype: np.uint32 }));
  return key;
}

/** Names a stream may not take: they would hide Rngs's own members. */
const reserved = new Set(["stream", "streams", "constructor", "toString"]);

/**
 * A set of named random streams (Flax's `nnx.Rngs`); layers draw their keys from it.
 *
 * `new nnx.Rngs(0)` holds one `default` stream; `new nnx.Rngs({ params: 0, dropout: 1 })`
 * one per name. A stream it lacks (`rngs.dropout`, `rngs.stream("dropout")`)
 * falls back to `default`. Each call of a stream returns a new key and advances it;
 * the streams' keys and counts are Variables, so they are in the state and in checkpoints.
 *
 * @example
 * const rngs = new nnx.Rngs(0);
 * const layer = new nnx.Linear(3, 4, { rngs }); // draws from rngs.params
 * const key = rngs.params(); // a fresh uint32[2] key
 */
export class Rngs extends Pytree {
  /**
   * `new Rngs(0)`: a `default` stream. `new Rngs({ params: 0, dropout: 1 })`:
   * named streams. `new Rngs(0, { dropout: 1 })`: both.
   */
  constructor(seeds: RngSeed | Record<string, RngSeed>, more: Record<string, RngSeed> = {}) {
    super();
    const named = typeof seeds === "number" || isJaxArray(seeds) ? { default: seeds, ...more } : { ...seeds, ...more };
    if (Object.keys(named).length === 0) throw new Error("Rngs: give at least one seed");
    for (const [name, seed] of Object.entries(named)) {
      if (reserved.has(name)) throw new Error(`Rngs: "${name}" cannot name a stream (it is a member of Rngs)`);
      Object.defineProperty(this, name, { value: new RngStream(seed, name), enumerable: true, writable: true, configurable: true });
    }
  }

  /** The stream called `name`, else `default`; an error naming the stream when neither exists. */
  stream(name: string): RngStream {
    const own = Object.getOwnPropertyDescriptor(this, name)?.value ?? Object.getOwnPropertyDescriptor(this, "default")?.value;
    if (own instanceof RngStream) return own;
    throw new Error(`Rngs has no stream "${name}" and no "default" stream to fall back on (streams: ${this.streams().join(", ")})`);
  }

  /** The names of the streams this Rngs holds. */
  streams(): string[] {
    return Object.keys(this).filter((k) => (this as unknown as Record<string, unknown>)[k] instanceof RngStream);
  }

  // The usual stream names, typed; a stream of that name is an own property that shadows these.
  /** The `params` stream (parameter initialization), else `default`. */
  get params(): RngStream {
    return this.stream("params");
  }

  /** The `dropout` stream (dropout masks), else `default`. */
  get dropout(): RngStream {
    return this.stream("dropout");
  }

  /** The `default` stream, used for any name the Rngs has no stream of. */
  get default(): RngStream {
    return this.stream("default");
  }
}
