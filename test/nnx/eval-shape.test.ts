import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { shapesOnly, withShapesOnly } from "../../src/nnx/shapes-only.js";
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

const init = nnx.initializers;

/** Every layer kind, and every random initialiser, drawing from one Rngs. */
class Zoo extends nnx.Module {
  linear: nnx.Linear;
  custom: nnx.Linear;
  truncated: nnx.Linear;
  conv: nnx.Conv;
  embed: nnx.Embed;
  batchNorm: nnx.BatchNorm;
  layerNorm: nnx.LayerNorm;
  dropout: nnx.Dropout;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear = new nnx.Linear(5, 3, { rngs });
    this.custom = new nnx.Linear(3, 4, { rngs, kernelInit: init.normal(0.1), biasInit: init.uniform() });
    this.truncated = new nnx.Linear(4, 2, { rngs, kernelInit: init.heUniform(), biasInit: init.truncatedNormal(0.5) });
    this.conv = new nnx.Conv(2, 6, [3, 3], { rngs, kernelInit: init.glorotUniform(), biasInit: init.constant(0.5) });
    this.embed = new nnx.Embed(10, 4, { rngs, embeddingInit: init.lecunNormal() });
    this.batchNorm = new nnx.BatchNorm(6, { rngs, scaleInit: init.normal(0.5) });
    this.layerNorm = new nnx.LayerNorm(4, { rngs, biasInit: init.uniform(0.3) });
    this.dropout = new nnx.Dropout(0.5, { rngs: new nnx.Rngs({ dropout: 3 }) });
  }
}

/** path, Variable class, shape and dtype of every leaf. */
function describeState(model: unknown): string[] {
  return nnx
    .state(model)
    .flatState()
    .map(([path, leaf]) => {
      const raw = (leaf as nnx.Variable<{ shape: number[]; dtype: string }>).raw;
      return `${path.join(".")}:${(leaf as nnx.Variable).constructor.name}:${raw.dtype}[${raw.shape.join(",")}]`;
    });
}

describeEachDevice("nnx.evalShape", () => {
  it("gives every layer kind's real shapes, dtypes, paths and Variable kinds", () => {
    const rngs = new nnx.Rngs(0);
    const real = new Zoo(rngs);
    const abstract = nnx.evalShape(() => new Zoo(new nnx.Rngs(0)));
    const expected = describeState(real);
    assert.ok(expected.includes("conv.kernel:Param:float32[3,3,2,6]"), expected.join(" "));
    assert.ok(expected.includes("dropout.rngs.count:RngCount:uint32[]"), expected.join(" "));
    assert.deepEqual(describeState(abstract), expected);
    for (const [, leaf] of nnx.state(abstract).flatState()) assert.ok((leaf as nnx.Variable<unknown>).raw instanceof ShapeDtypeStruct);
    nnx.state(real).flatState().forEach(([, v]) => (v as nnx.Variable).dispose());
  });

  it("in shapes-only mode Rng streams still count every key: counts advance as in a real construction", async () => {
    // Outside a trace the mode's arrays are concrete, so the counts can be read.
    const realRngs = new nnx.Rngs(0);
    const real = new Zoo(realRngs);
    const shapesRngs = new nnx.Rngs(0);
    const shaped = withShapesOnly(() => new Zoo(shapesRngs));
    assert.equal(await realRngs.default.count.value.jsAsync(), 13); // two keys per layer, one for Embed
    assert.equal(await shapesRngs.default.count.value.jsAsync(), 13); // two keys per layer, one for Embed
    assert.deepEqual(await shapesRngs.default.key.value.jsAsync(), await realRngs.default.key.value.jsAsync());
    assert.equal(await shaped.dropout.rngs!.count.value.jsAsync(), 0);
    assert.deepEqual(describeState(shaped), describeState(real));
    // Keys handed out meanwhile are placeholders of a key's shape.
    assert.deepEqual(await withShapesOnly(() => shapesRngs.default()).jsAsync(), [0, 0]);
    assert.equal(await shapesRngs.default.count.value.jsAsync(), 14);
    // The random draws were skipped (zeros), the constant initialiser was not.
    assert.deepEqual(await shaped.custom.kernel.value.jsAsync(), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    assert.deepEqual(await shaped.conv.bias!.value.jsAsync(), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    assert.notDeepEqual(await real.custom.kernel.value.jsAsync(), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it("leaves shapes-only mode when it ends, also when the factory throws", () => {
    nnx.evalShape(() => new Zoo(new nnx.Rngs(0)));
    assert.equal(shapesOnly(), false);
    assert.throws(() => nnx.evalShape(() => {
      throw new Error("factory failed");
    }), /factory failed/);
    assert.equal(shapesOnly(), false);
  });

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
