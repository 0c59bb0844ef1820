/**
 * `Pytree`: the base of every graph node class (Module, Rngs, RngStream), as
 * Flax's `nnx.Pytree`. A node's graph is its own enumerable attributes that
 * hold Variables, other nodes, jax-js arrays, or JS arrays / plain objects of
 * those; every other attribute is static and lives in the graphdef.
 */
import { reprNode } from "./repr.js";

/** How `merge` makes an instance without running its constructor. */
export const createEmpty: unique symbol = Symbol.for("tsnnx.nnx.createEmpty");

/**
 * Base class of every graph node (Flax's `nnx.Pytree`): Module, Rngs, RngStream and Optimizer extend it.
 *
 * A node's own enumerable attributes that hold Variables, jax-js arrays, other
 * nodes, or JS arrays / plain objects of those are its state; every other
 * attribute is static and is kept in the graphdef. Subclass `nnx.Module` for layers.
 */
export class Pytree {
  /** An instance whose attributes `merge` fills in; classes that are not plain objects override it. */
  static [createEmpty](this: abstract new (...args: never[]) => Pytree): Pytree {
    return Object.create(this.prototype) as Pytree;
  }

  /** A readable summary of the node: its class, attributes and Variables. */
  toString(): string {
    return reprNode(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return reprNode(this);
  }
}

export type PytreeClass = (abstract new (...args: never[]) => Pytree) & { [createEmpty](): Pytree };
