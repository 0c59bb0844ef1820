/**
 * The Flax NNX checkpointing tutorial, in tsnnx: save `nnx.split(model)[1]`,
 * restore into the abstract state of `nnx.evalShape(...)` and `merge`.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import * as ocp from "../../src/ocp/index.js";
import { showCheckpoint } from "../../src/ocp/inspect.js";
import { describeEachDevice } from "../helpers/devices.js";
import { scratchDir } from "./scratch.js";

class TwoLayerMLP extends nnx.Module {
  linear1: nnx.Linear;
  linear2: nnx.Linear;
  constructor(dim: number, rngs: nnx.Rngs) {
    super();
    this.linear1 = new nnx.Linear(dim, dim, { rngs, useBias: false });
    this.linear2 = new nnx.Linear(dim, dim, { rngs, useBias: false });
  }
  call(x: jax.Array): jax.Array {
    return this.linear2.call(this.linear1.call(x));
  }
}

async function kernelValues(model: TwoLayerMLP): Promise<number[][]> {
  return [Array.from(await model.linear1.kernel.value.data()), Array.from(await model.linear2.kernel.value.data())];
}

describeEachDevice("ocp with nnx: the Flax checkpointing tutorial flow", () => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("nnx")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("saves nnx.split(model)[1], restores into nnx.evalShape's abstract state and merges", async () => {
    const model = new TwoLayerMLP(4, new nnx.Rngs(0));
    const [, state] = nnx.split(model);
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "state"), state);
    await ckptr.waitUntilFinished();
    // Stored under the paths Python writes for an NNX state.
    const listing = await showCheckpoint(path.join(dir, "state"));
    assert.match(listing, /linear1\.kernel\.value\s+\[4, 4\]\s+float32\s+64/);
    assert.match(listing, /linear2\.kernel\.value\s+\[4, 4\]\s+float32\s+64/);

    const abstractModel = nnx.evalShape(() => new TwoLayerMLP(4, new nnx.Rngs(1)));
    const [graphdef, abstractState] = nnx.split(abstractModel);
    const restoredState = await ckptr.restore(path.join(dir, "state"), abstractState);
    assert.ok(restoredState instanceof nnx.State, "the template's State kind is rebuilt");
    const restored = nnx.merge<TwoLayerMLP>(graphdef, restoredState);
    assert.deepEqual(await kernelValues(restored), await kernelValues(model));
    const x = jax.numpy.ones([1, 4]);
    const [a, b] = [model.call(x.ref), restored.call(x)];
    assert.deepEqual(Array.from(await b.data()), Array.from(await a.data()));
  });

  it("a changed model (different width) is refused with the differences listed", async () => {
    const [, state] = nnx.split(new TwoLayerMLP(4, new nnx.Rngs(0)));
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "state"), state);
    const [, wider] = nnx.split(nnx.evalShape(() => new TwoLayerMLP(5, new nnx.Rngs(0))));
    await assert.rejects(ckptr.restore(path.join(dir, "state"), wider), /linear1\.kernel\.value: shape \[4, 4\] in the checkpoint, \[5, 5\] in the template/);
  });
});
