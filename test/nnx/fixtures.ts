/**
 * Small hand-written modules for the nnx tests (independent of the layers
 * under src/nnx/nn, so these tests exercise only the core).
 */
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";

const np = jax.numpy;

/** y = x W + b with given numbers, so results can be worked out by hand. */
export class TinyLinear extends nnx.Module {
  kernel: nnx.Param;
  bias: nnx.Param;
  inFeatures: number;

  constructor(kernel: number[][], bias: number[]) {
    super();
    this.kernel = new nnx.Param(np.array(kernel));
    this.bias = new nnx.Param(np.array(bias));
    this.inFeatures = kernel.length;
  }

  call(x: jax.Array): jax.Array {
    return np.matmul(x, this.kernel.value).add(this.bias.value);
  }
}

/** A linear layer drawing its kernel from `rngs.params()`. */
export class RandomLinear extends nnx.Module {
  kernel: nnx.Param;

  constructor(din: number, dout: number, rngs: nnx.Rngs) {
    super();
    this.kernel = new nnx.Param(jax.random.normal(rngs.params(), [din, dout]));
  }

  call(x: jax.Array): jax.Array {
    return np.matmul(x, this.kernel.value);
  }
}

/** Counts its calls in a BatchStat and keeps flags like Dropout / BatchNorm do. */
export class Counter extends nnx.Module {
  calls = new nnx.BatchStat(np.array(0, { dtype: np.int32 }));
  deterministic = false;
  useRunningAverage = false;

  call(x: jax.Array): jax.Array {
    this.calls.value = this.calls.value.add(np.array(1, { dtype: np.int32 }));
    return x;
  }
}

/** A module with neither flag: train/eval must leave it alone. */
export class Plain extends nnx.Module {
  scale = new nnx.Param(np.array([2]));
}

export async function read(x: jax.Array): Promise<unknown> {
  return x.jsAsync();
}

/** The array a Variable holds, read without consuming the Variable's reference. */
export async function valueOf(v: unknown): Promise<unknown> {
  if (!(v instanceof nnx.Variable)) throw new Error(`expected a Variable, got ${String(v)}`);
  return (v.value as jax.Array).jsAsync();
}
