import type { DType } from "@jax-js/jax";

/**
 * An array's shape and dtype without its data (JAX's `ShapeDtypeStruct`):
 * what `nnx.evalShape` leaves in Variables, and what checkpoint restores take
 * as a template.
 */
export class ShapeDtypeStruct {
  readonly shape: readonly number[];
  readonly dtype: DType;

  constructor(shape: readonly number[], dtype: DType) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`ShapeDtypeStruct: bad dimension ${d} in shape [${shape}]`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get ndim(): number {
    return this.shape.length;
  }

  toString(): string {
    return `ShapeDtypeStruct(shape=[${this.shape.join(",")}], dtype=${this.dtype})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
