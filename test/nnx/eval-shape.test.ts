import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { describeEachDevice } from "../helpers/devices.js";
import { RandomLinear } from "./fixtures.js";

const np = jax.numpy;

class Mlp extends nnx.Module {
  layers: RandomLinear[];
  scale = new nnx.Param(np.ones([3], { dtype: np.int32 }));
  steps = new nnx.BatchStat(0);
  constructor(sizes: number[], rngs: nnx.Rngs) {
    super();
    this.layers = sizes.slice(1).map((d, i) => new RandomLinear(sizes[i]!, d, rngs));
  }
}

/** 16 layers of 8192 x 8192 float32: 1.07e9 parameters, 4.3 GB if it were allocated. */
class Huge extends nnx.Module {
  layers: RandomLinear[] = [];
  constructor(rngs: nnx.Rngs) {
    super();
    for (let i = 0; i < 16; i++) this.layers.push(new RandomLinear(8192, 8192, rngs));
  }
}

describeEachDevice("nnx.evalShape", () => {
  it("gives the model with ShapeDtypeStructs of the right shapes and dtypes", () => {
    const model = nnx.evalShape(() => new Mlp([4, 8, 2], new nnx.Rngs(0)));
    assert.ok(model instanceof Mlp);
    assert.ok(model.layers[1] instanceof RandomLinear);
    const kernel = model.layers[0]!.kernel.raw as unknown as ShapeDtypeStruct;
    assert.ok(kernel instanceof ShapeDtypeStruct);
    assert.deepEqual([kernel.shape, kernel.dtype], [[4, 8], "float32"]);
    assert.deepEqual((model.layers[1]!.kernel.raw as unknown as ShapeDtypeStruct).shape, [8, 2]);
    assert.deepEqual((model.scale.raw as unknown as ShapeDtypeStruct).dtype, "int32");
    assert.equal(model.steps.raw, 0, "non-array values stay as they are");
  });

  it("split of the abstract model is a restore template with Variables of the right kinds", () => {
    const [, state] = nnx.split(nnx.evalShape(() => new Mlp([4, 8, 2], new nnx.Rngs(0))));
    const leaves = state.flatState().map(([p, v]) => `${p.join(".")}:${(v as nnx.Variable).constructor.name}:${String((v as nnx.Variable<unknown>).raw)}`);
    assert.deepEqual(leaves, [
      "layers.0.kernel:Param:ShapeDtypeStruct(shape=[4,8], dtype=float32)",
      "layers.1.kernel:Param:ShapeDtypeStruct(shape=[8,2], dtype=float32)",
      "scale:Param:ShapeDtypeStruct(shape=[3], dtype=int32)",
      "steps:BatchStat:0",
    ]);
  });

  it("traces a 1e9-parameter model without allocating it", () => {
    const before = process.memoryUsage().rss;
    const model = nnx.evalShape(() => new Huge(new nnx.Rngs(0)));
    const grown = process.memoryUsage().rss - before;
    const total = model.layers.reduce((n, l) => n + (l.kernel.raw as unknown as ShapeDtypeStruct).size, 0);
    assert.equal(total, 16 * 8192 * 8192);
    assert.ok(grown < 400e6, `RSS grew by ${(grown / 1e6).toFixed(0)} MB; 4300 MB would mean the arrays were allocated`);
  });

  it("of a function returning an array gives its ShapeDtypeStruct", () => {
    const sds = nnx.evalShape(() => np.zeros([2, 3], { dtype: np.int32 }));
    assert.equal(String(sds), "ShapeDtypeStruct(shape=[2,3], dtype=int32)");
  });
});
