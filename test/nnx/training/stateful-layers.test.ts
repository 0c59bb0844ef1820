import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";
import * as optax from "../../../src/optax/index.js";

const np = jax.numpy;

class Net extends nnx.Module {
  linear: nnx.Linear;
  bn: nnx.BatchNorm;
  drop: nnx.Dropout;
  head: nnx.Linear;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear = new nnx.Linear(3, 4, { rngs });
    this.bn = new nnx.BatchNorm(4, { rngs, momentum: 0.5 });
    this.drop = new nnx.Dropout(0.5, { rngs });
    this.head = new nnx.Linear(4, 1, { rngs });
  }
  call(x: jax.Array): jax.Array {
    return this.head.call(this.drop.call(nnx.relu(this.bn.call(this.linear.call(x)))));
  }
}

const read = async (x: jax.Array) => Array.from(await x.data(), Number);

describeEachDevice("stateful layers in a training step", () => {
  it("BatchNorm statistics and Dropout's rng count advance through valueAndGrad; eval freezes both", async () => {
    const model = new Net(new nnx.Rngs({ params: 0, dropout: 1 }));
    const optimizer = new nnx.Optimizer(model, optax.adam(0.01));
    const x = np.array([[1, 2, 3], [0, -1, 2], [4, 0, 1], [2, 2, -2]]);
    const y = np.array([[1], [0], [2], [-1]]);
    const loss = (m: Net) => np.mean(np.square(m.call(x.ref).sub(y.ref)));
    // The statistics BatchNorm folds in on the first step: momentum 0.5 of the batch mean of linear(x).
    const h = await read(model.linear.call(x.ref));
    const batchMean = [0, 1, 2, 3].map((j) => (h[j]! + h[4 + j]! + h[8 + j]! + h[12 + j]!) / 4);
    const [first, grads] = nnx.valueAndGrad(loss)(model);
    optimizer.update(model, grads as nnx.State);
    (first as jax.Array).dispose();
    const mean = await read(model.bn.mean.value);
    mean.forEach((m, j) => assert.ok(Math.abs(m - 0.5 * batchMean[j]!) < 1e-5, `running mean[${j}] ${m}, expected ${0.5 * batchMean[j]!}`));
    assert.deepEqual(await read(model.drop.rngs!.count.value), [1], "one dropout key drawn");
    // BatchStats are not optimised: the grads hold Params only.
    // count + mu and nu of the 6 Params (two Linears, BatchNorm scale and bias): no BatchStat among them
    const optPaths = nnx.state(optimizer.optState as object).flatState().map(([path]) => path.join("."));
    assert.equal(optPaths.length, 13);
    assert.ok(!optPaths.some((p) => p.endsWith("bn.mean") || p.endsWith("bn.var")), optPaths.join(", "));
    model.eval();
    const before = await read(model.bn.mean.value);
    const a = await read(model.call(x.ref));
    const b = await read(model.call(x.ref));
    assert.deepEqual(a, b, "eval mode is deterministic");
    assert.deepEqual(await read(model.bn.mean.value), before, "eval mode leaves the running mean alone");
    assert.deepEqual(await read(model.drop.rngs!.count.value), [1], "eval mode draws no dropout keys");
    x.dispose();
    y.dispose();
  });
});
