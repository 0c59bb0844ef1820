import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";

const np = jax.numpy;

describeEachDevice("nnx.Dropout", () => {
  it("zeros a `rate` share of elements and scales the rest by 1 / (1 - rate)", async () => {
    const n = 20000;
    const rate = 0.3;
    const dropout = new nnx.Dropout(rate, { rngs: new nnx.Rngs({ dropout: 7 }) });
    const y = Array.from(await dropout.call(np.ones([n])).data(), Number);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6), "values are 0 or 1/(1-rate)");
    const kept = y.filter((v) => v !== 0).length / n;
    const sigma = Math.sqrt((rate * (1 - rate)) / n);
    assert.ok(Math.abs(kept - (1 - rate)) < 4 * sigma, `kept ${kept}, expected ${1 - rate} ± ${4 * sigma}`);
  });

  it("is the identity when deterministic, and model.eval() makes it so", async () => {
    class Model extends nnx.Module {
      drop = new nnx.Dropout(0.5, { rngs: new nnx.Rngs({ dropout: 0 }) });
    }
    const model = new Model();
    model.eval();
    assert.equal(model.drop.deterministic, true);
    assert.deepEqual(Array.from(await model.drop.call(np.array([1, 2, 3])).data(), Number), [1, 2, 3]);
    model.train();
    assert.deepEqual(Array.from(await model.drop.call(np.array([1, 2, 3]), { deterministic: true }).data(), Number), [1, 2, 3]);
  });

  it("draws the same masks from the same seed and a new mask each call", async () => {
    const masks = async (seed: number) => {
      const d = new nnx.Dropout(0.5, { rngs: new nnx.Rngs({ dropout: seed }) });
      return [Array.from(await d.call(np.ones([64])).data(), Number), Array.from(await d.call(np.ones([64])).data(), Number)];
    };
    const [a1, a2] = await masks(3);
    const [b1, b2] = await masks(3);
    assert.deepEqual(a1, b1);
    assert.deepEqual(a2, b2);
    assert.notDeepEqual(a1, a2);
  });

  it("shares the mask along broadcastDims and says when it has no rngs", async () => {
    const d = new nnx.Dropout(0.5, { rngs: new nnx.Rngs({ dropout: 1 }), broadcastDims: [0] });
    const y = Array.from(await d.call(np.ones([4, 32])).data(), Number);
    for (let r = 1; r < 4; r++) assert.deepEqual(y.slice(r * 32, r * 32 + 32), y.slice(0, 32));
    assert.throws(() => new nnx.Dropout(0.5).call(np.ones([2])), /Dropout: not deterministic and no rngs/);
    assert.throws(() => new nnx.Dropout(1.5), /Dropout: rate must be in \[0, 1\], got 1.5/);
  });
});

describeEachDevice("nnx.Embed", () => {
  it("looks up rows by integer id, with Flax's parameter name and shape", async () => {
    const embed = new nnx.Embed(3, 2, { rngs: new nnx.Rngs(0) });
    assert.deepEqual(nnx.state(embed, nnx.Param).keys(), ["embedding"]);
    assert.deepEqual(embed.embedding.shape, [3, 2]);
    embed.embedding.value = np.array([[0, 1], [10, 11], [20, 21]]);
    const y = embed.call(np.array([[2, 0], [1, 1]], { dtype: np.int32 }));
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(await y.data(), Number), [20, 21, 0, 1, 10, 11, 10, 11]);
    // attend: query . row for each row
    assert.deepEqual(Array.from(await embed.attend(np.array([1, 2])).data(), Number), [2, 32, 62]);
  });

  it("draws the default table with variance 1 / features", async () => {
    const features = 64;
    const values = Array.from(await new nnx.Embed(500, features, { rngs: new nnx.Rngs(1) }).embedding.value.data(), Number);
    const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
    const sigma = Math.sqrt(2 / values.length) / features; // normal: Var(s^2) = 2 sigma^4 / n
    assert.ok(Math.abs(variance - 1 / features) < 4 * sigma, `variance ${variance}, expected ${1 / features}`);
  });

  it("rejects float ids by name", () => {
    const embed = new nnx.Embed(3, 2, { rngs: new nnx.Rngs(0) });
    assert.throws(() => embed.call(np.array([0.5])), /Embed: ids must be an int32 or uint32 array, got float32\[1\]/);
  });
});
