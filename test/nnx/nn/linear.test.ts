import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";

const np = jax.numpy;

describeEachDevice("nnx.Linear", () => {
  it("has Flax's parameter names, shapes and default initialisers", async () => {
    const layer = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(0) });
    const params = nnx.state(layer, nnx.Param);
    assert.deepEqual(params.keys(), ["bias", "kernel"]);
    assert.deepEqual(layer.kernel.shape, [3, 2]);
    assert.deepEqual(layer.bias!.shape, [2]);
    assert.deepEqual(Array.from(await layer.bias!.value.data(), Number), [0, 0]);
    const kernel = Array.from(await layer.kernel.value.data(), Number);
    assert.ok(kernel.some((v) => v !== 0), "the kernel is drawn at random");
    assert.ok(kernel.every((v) => Math.abs(v) <= (2 / 0.8796256610342398) * Math.sqrt(1 / 3) + 1e-6), "lecun_normal is truncated at 2 sigma");
  });

  it("computes x @ kernel + bias, as worked out by hand", async () => {
    const layer = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(0) });
    layer.kernel.value = np.array([[1, 2], [3, 4], [5, 6]]);
    layer.bias!.value = np.array([0.5, -1]);
    const y = layer.call(np.array([[1, 1, 1], [1, 0, -1]]));
    assert.deepEqual(y.shape, [2, 2]);
    // row 0: [1+3+5, 2+4+6] + b = [9.5, 11]; row 1: [1-5, 2-6] + b = [-3.5, -5]
    assert.deepEqual(Array.from(await y.data(), Number), [9.5, 11, -3.5, -5]);
  });

  it("works on a batch of any rank and without bias", async () => {
    const layer = new nnx.Linear(2, 1, { rngs: new nnx.Rngs(0), useBias: false, kernelInit: nnx.initializers.ones });
    assert.equal(layer.bias, null);
    assert.deepEqual(nnx.state(layer, nnx.Param).keys(), ["kernel"]);
    const y = layer.call(np.array([[[1, 2]], [[3, 4]]]));
    assert.deepEqual(y.shape, [2, 1, 1]);
    assert.deepEqual(Array.from(await y.data(), Number), [3, 7]);
  });

  it("names the layer, its path and both shapes on a mismatch", () => {
    const rngs = new nnx.Rngs(0);
    class Model extends nnx.Module {
      layers = [new nnx.Linear(4, 3, { rngs }), new nnx.Linear(3, 2, { rngs })];
    }
    const model = new Model();
    assert.throws(() => model.layers[1]!.call(np.zeros([2, 5])), /^Error: Linear: the input's last dimension must be inFeatures = 3, got input shape \[2, 5\] \(kernel shape \[3, 2\]\)/);
    nnx.state(model); // graph traversal records where each Variable lives
    assert.throws(() => model.layers[1]!.call(np.zeros([2, 5])), /Linear at layers\.1: .*got input shape \[2, 5\]/);
  });

  it("rejects bad sizes and missing rngs by name", () => {
    assert.throws(() => new nnx.Linear(0, 2, { rngs: new nnx.Rngs(0) }), /Linear: inFeatures must be a positive integer, got 0/);
    assert.throws(() => new nnx.Linear(2, 2, {} as nnx.LinearOptions), /Linear: options.rngs must be an nnx.Rngs/);
  });

  it("casts to the computation dtype and keeps params in paramDtype", () => {
    const layer = new nnx.Linear(2, 2, { rngs: new nnx.Rngs(0), paramDtype: np.float32 });
    const y = layer.call(np.array([[1, 2]], { dtype: np.int32 }));
    assert.equal(y.dtype, np.float32);
    y.dispose();
  });
});
