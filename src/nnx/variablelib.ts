/**
 * Variables: the mutable, owning boxes that hold a module's state (Flax's
 * `variablelib`). A Variable OWNS its array under jax-js's move semantics:
 * reading `v.value` hands out a new reference, so a caller's jax-js call can
 * never consume the parameter; assigning `v.value = y` takes ownership of `y`
 * and drops the old array.
 */
import type * as jax from "@jax-js/jax";
import { pytreeNode, type PytreeChildren, type PytreeNode, type TreeKey, type TreePath } from "../runtime/pytree.js";
import { describeLeaf, isDisposed, isJaxArray, releaseLeaf, shapeDtypeOf } from "./arrays.js";
import { formatPath } from "./paths.js";

/** Extra information a Variable carries next to its value (a tag, sharding, ...). */
export type VariableMetadata = Record<string, unknown>;

/** Any Variable class, including user subclasses: what type filters and graphdefs hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VariableClass = abstract new (...args: any[]) => Variable<any>;

/**
 * A mutable box holding one piece of a module's state, with metadata (Flax's `nnx.Variable`).
 * Its class says what kind of state it is (`nnx.Param`, `nnx.BatchStat`, ...); filters select by class.
 *
 * The Variable owns its array (jax-js move semantics): `v.value` returns a new reference
 * the caller owns; `v.value = y` takes ownership of `y` and releases the old array;
 * `v.raw` borrows the array without a new reference.
 *
 * @example
 * const w = new nnx.Param(np.zeros([3, 4]));
 * w.shape; // [3, 4]
 * w.value = w.value.add(1); // now all ones
 */
export class Variable<T = jax.Array> implements PytreeNode<Variable<T>> {
  /** Extra information that travels with the value (sharding, tag, ...). */
  metadata: VariableMetadata;
  /** The owned leaf. Read through `value` (a new reference) or `raw` (borrowed). */
  private _raw: T;
  /** Where graph traversal last found this Variable, for error messages. */
  private _path: TreePath | undefined;

  /**
   * A Variable owning `value`, with a copy of `metadata`.
   *
   * @param value - the array (or other value) to hold; it is taken, not copied.
   * @param metadata - extra information carried with the value (default `{}`).
   */
  constructor(value: T, metadata: VariableMetadata = {}) {
    if (value instanceof Variable) {
      throw new Error(`${new.target.name}: the value is itself a ${value.constructor.name}; pass its value instead`);
    }
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw new Error(`${new.target.name}: metadata must be an object, got ${describeLeaf(metadata)}`);
    }
    this._raw = value;
    this.metadata = { ...metadata };
  }

  /** The value; for an array, a new reference the caller owns (and may consume). */
  get value(): T {
    const raw = this._raw;
    if (isJaxArray(raw)) {
      this.assertAlive(raw);
      return raw.ref as T;
    }
    return raw;
  }

  /** Takes ownership of `next` and drops this Variable's reference to the old value. */
  set value(next: T) {
    if (next instanceof Variable) {
      throw new Error(`${this.describeSelf()}: cannot hold another Variable (${next.constructor.name}); assign its value`);
    }
    const old = this._raw;
    this._raw = next;
    releaseLeaf(old);
  }

  /**
   * The value without a new reference: borrowed, valid while the Variable
   * holds it. For reading shapes and for tree walks that never consume.
   */
  get raw(): T {
    const raw = this._raw;
    if (isJaxArray(raw)) this.assertAlive(raw);
    return raw;
  }

  /** The shape of the held array; undefined when the value is not an array. */
  get shape(): readonly number[] | undefined {
    return shapeDtypeOf(this._raw)?.shape;
  }

  /** The dtype of the held array; undefined when the value is not an array. */
  get dtype(): string | undefined {
    return shapeDtypeOf(this._raw)?.dtype;
  }

  /** Where graph traversal last found this Variable (`layers.0.kernel`), for error messages; undefined before any traversal. */
  get path(): string | undefined {
    return this._path === undefined ? undefined : formatPath(this._path);
  }

  /** Graph traversal records where it found this Variable, so errors can name it (formatted only when read). */
  notePath(path: TreePath): void {
    this._path = path;
  }

  /**
   * A Variable of the same class with the same metadata holding `value` (owned
   * by the copy). The constructor is not re-run: user subclasses may take
   * other constructor arguments.
   */
  withValue<U>(value: U): Variable<U> {
    const copy = Object.create(Object.getPrototypeOf(this)) as Variable<U>;
    Object.assign(copy, this);
    copy._raw = value;
    copy.metadata = { ...this.metadata };
    return copy;
  }

  /** Drop this Variable's reference to its array; later reads say so. */
  dispose(): void {
    releaseLeaf(this._raw);
  }

  /**
   * The tree protocol: one child under the attribute key `value`, as Python
   * flattens an `nnx.Variable` (so paths read `linear1.kernel.value`). The
   * child is borrowed; `rebuild` gives a Variable of the same kind and
   * metadata owning the new leaf.
   */
  [pytreeNode](): PytreeChildren<Variable<T>> {
    return {
      children: [["value", this._raw]],
      rebuild: (children: [TreeKey, unknown][]) => {
        if (children.length !== 1 || children[0]![0] !== "value") {
          throw new Error(`${this.describeSelf()}: rebuild expects one child "value", got [${children.map((c) => String(c[0])).join(", ")}]`);
        }
        return this.withValue(children[0]![1] as T);
      },
    };
  }

  /** The class, the value's dtype and shape, and each metadata entry: `Param(float32[3,4])`. */
  toString(): string {
    const parts = [describeLeaf(this._raw)];
    for (const [key, value] of Object.entries(this.metadata)) parts.push(`${key}=${describeMetadata(value)}`);
    return `${this.constructor.name}(${parts.join(", ")})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  private describeSelf(): string {
    return this._path === undefined ? this.constructor.name : `${this.constructor.name} at ${this.path}`;
  }

  private assertAlive(raw: jax.Array): void {
    if (isDisposed(raw)) {
      throw new Error(
        `${this.describeSelf()}: its array (${raw.dtype}[${raw.shape.join(",")}]) was disposed. ` +
          "A jax-js call consumed it without .ref, or it was disposed; read parameters through `.value`, which returns a new reference.",
      );
    }
  }
}

function describeMetadata(value: unknown): string {
  if (typeof value === "object" && value !== null && value.constructor === Object) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeMetadata).join(", ")}]`;
  return describeLeaf(value);
}

/** Trainable parameters: what `nnx.grad` differentiates and optimizers update. */
export class Param<T = jax.Array> extends Variable<T> {}
/** Running statistics (BatchNorm's mean and variance). */
export class BatchStat<T = jax.Array> extends Variable<T> {}
/** Autoregressive caches. */
export class Cache<T = jax.Array> extends Variable<T> {}
/** Values a module records while it runs (`sow`). */
export class Intermediate<T = jax.Array> extends Variable<T> {}
/** State of a random stream; `metadata.tag` names the stream. */
export class RngState<T = jax.Array> extends Variable<T> {
  get tag(): string | undefined {
    const tag = this.metadata.tag;
    return typeof tag === "string" ? tag : undefined;
  }
}
/** A stream's base key (uint32[2], jax-js's raw threefry key). */
export class RngKey<T = jax.Array> extends RngState<T> {}
/** How many keys a stream has handed out (uint32 scalar). */
export class RngCount<T = jax.Array> extends RngState<T> {}

export function isVariableClass(value: unknown): value is VariableClass {
  return typeof value === "function" && (value === Variable || value.prototype instanceof Variable);
}
