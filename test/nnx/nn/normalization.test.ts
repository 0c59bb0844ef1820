import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";

const np = jax.numpy;

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: got ${actual[i]}, expected ${e}`));
}

/** Per-column mean and biased variance of a [rows, cols] batch, in doubles. */
function columnStats(rows: number[][]): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const variance = rows[0]!.map((_, j) => rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n);
  return { mean, variance };
}

const batches = [
  [[1, 10], [3, 14], [2, 12]],
  [[0, -2], [4, 2], [8, 0]],
  [[5, 5], [5, 7], [6, 9]],
];

describeEachDevice("nnx.BatchNorm", () => {
  it("has Params scale/bias and BatchStats mean/var with Flax's initial values", async () => {
    const bn = new nnx.BatchNorm(3, { rngs: new nnx.Rngs(0) });
    assert.deepEqual(nnx.state(bn, nnx.Param).keys(), ["bias", "scale"]);
    assert.deepEqual(nnx.state(bn, nnx.BatchStat).keys(), ["mean", "var"]);
    assert.deepEqual(Array.from(await bn.scale!.value.data(), Number), [1, 1, 1]);
    assert.deepEqual(Array.from(await bn.var.value.data(), Number), [1, 1, 1]);
    assert.deepEqual(Array.from(await bn.mean.value.data(), Number), [0, 0, 0]);
  });

  it("normalises with batch statistics and folds them into the running ones", async () => {
    const momentum = 0.9;
    const epsilon = 1e-5;
    const bn = new nnx.BatchNorm(2, { rngs: new nnx.Rngs(0), momentum, epsilon });
    bn.scale!.value = np.array([2, 0.5]);
    bn.bias!.value = np.array([1, -1]);
    let runMean = [0, 0];
    let runVar = [1, 1];
    for (const batch of batches) {
      const y = await bn.call(np.array(batch)).data();
      const { mean, variance } = columnStats(batch);
      const expected = batch.flatMap((row) => row.map((x, j) => ((x - mean[j]!) / Math.sqrt(variance[j]! + epsilon)) * [2, 0.5][j]! + [1, -1][j]!));
      assertClose(y, expected, 1e-5, "batch-normalised output");
      runMean = runMean.map((m, j) => momentum * m + (1 - momentum) * mean[j]!);
      runVar = runVar.map((v, j) => momentum * v + (1 - momentum) * variance[j]!);
    }
    assertClose(await bn.mean.value.data(), runMean, 1e-5, "running mean");
    assertClose(await bn.var.value.data(), runVar, 1e-5, "running var");
  });

  it("uses the running statistics, unchanged, in eval mode", async () => {
    class Model extends nnx.Module {
      bn = new nnx.BatchNorm(2, { rngs: new nnx.Rngs(0) });
    }
    const model = new Model();
    model.bn.mean.value = np.array([1, 2]);
    model.bn.var.value = np.array([4, 0.25]);
    model.eval();
    assert.equal(model.bn.useRunningAverage, true);
    const y = await model.bn.call(np.array([[3, 3]])).data();
    assertClose(y, [(3 - 1) / Math.sqrt(4 + 1e-5), (3 - 2) / Math.sqrt(0.25 + 1e-5)], 1e-5, "eval output");
    assert.deepEqual(Array.from(await model.bn.mean.value.data(), Number), [1, 2]);
    model.train();
    assert.equal(model.bn.useRunningAverage, false);
  });

  it("normalises over every axis but the feature axis of an NHWC batch", async () => {
    const bn = new nnx.BatchNorm(2, { rngs: new nnx.Rngs(0), momentum: 0 });
    const x = np.arange(0, 16).astype(np.float32).reshape([2, 2, 2, 2]);
    bn.call(x).dispose();
    // channel 0 holds the even numbers 0..14 (mean 7), channel 1 the odd ones (mean 8); variance 21 each
    assertClose(await bn.mean.value.data(), [7, 8], 1e-6, "mean");
    assertClose(await bn.var.value.data(), [21, 21], 1e-5, "var");
  });

  it("names the layer and both shapes on a mismatch", () => {
    const bn = new nnx.BatchNorm(3, { rngs: new nnx.Rngs(0) });
    assert.throws(() => bn.call(np.zeros([4, 2])), /BatchNorm: expected 3 features on axis -1, got input shape \[4, 2\]/);
    assert.throws(() => new nnx.BatchNorm(3, { momentum: 2 }), /BatchNorm: momentum must be in \[0, 1\], got 2/);
  });
});

describeEachDevice("nnx.LayerNorm", () => {
  it("normalises each row over its features, as worked out by hand", async () => {
    const ln = new nnx.LayerNorm(4);
    assert.deepEqual(nnx.state(ln, nnx.Param).keys(), ["bias", "scale"]);
    // row [1, 2, 3, 4]: mean 2.5, variance 1.25; row [2, 2, 2, 2]: mean 2, variance 0
    const y = await ln.call(np.array([[1, 2, 3, 4], [2, 2, 2, 2]])).data();
    const s = Math.sqrt(1.25 + 1e-6);
    assertClose(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0, 0, 0], 1e-5, "layer norm");
  });

  it("applies scale and bias per feature and checks the feature size", async () => {
    const ln = new nnx.LayerNorm(2, { epsilon: 1e-3, rngs: new nnx.Rngs(0) });
    ln.scale!.value = np.array([3, -1]);
    ln.bias!.value = np.array([0, 10]);
    // [0, 2]: mean 1, variance 1
    const y = await ln.call(np.array([0, 2])).data();
    const s = Math.sqrt(1 + 1e-3);
    assertClose(y, [(-1 / s) * 3, (1 / s) * -1 + 10], 1e-5, "scaled");
    assert.throws(() => ln.call(np.zeros([2, 3])), /LayerNorm: the input's last dimension must be numFeatures = 2, got input shape \[2, 3\]/);
    assert.throws(() => new nnx.LayerNorm(2, { scaleInit: nnx.initializers.normal() }), /LayerNorm scaleInit: a custom initialiser needs options.rngs/);
  });
});
