import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { describeEachDevice } from "../helpers/devices.js";
import { RandomLinear } from "./fixtures.js";

const np = jax.numpy;

// Keys from the real Flax 0.12.12 / JAX 0.12 (jax.random.key_data of each call):
//   r = nnx.Rngs(params=0, dropout=1); r.dropout(); r.dropout(); r.params()
//   r = nnx.Rngs(5); r.params(); r.params()   (falls back to default)
const flaxDropout = [[507451445, 1853169794], [1948878966, 4237131848]];
const flaxParams0 = [1797259609, 2579123966];
const flaxDefault5 = [[2724472204, 3573582090], [202567368, 3886822060]];

describeEachDevice("nnx.Rngs", () => {
  it("derives keys as Flax does: fold_in(key, count), count incremented", async () => {
    const rngs = new nnx.Rngs({ params: 0, dropout: 1 });
    assert.deepEqual(await rngs.dropout().jsAsync(), flaxDropout[0]);
    assert.deepEqual(await rngs.dropout().jsAsync(), flaxDropout[1]);
    assert.deepEqual(await rngs.params().jsAsync(), flaxParams0);
    assert.deepEqual(await rngs.dropout.count.value.jsAsync(), 2);
    assert.deepEqual(await rngs.params.count.value.jsAsync(), 1);
  });

  it("falls back to the default stream for an unknown name", async () => {
    const rngs = new nnx.Rngs(5);
    assert.equal(rngs.params, rngs.default);
    assert.deepEqual(await rngs.params().jsAsync(), flaxDefault5[0]);
    assert.deepEqual(await rngs.stream("noise")().jsAsync(), flaxDefault5[1]);
  });

  it("fold_in equals split(key, n + 1)[n] (JAX's partitionable threefry)", async () => {
    const rngs = new nnx.Rngs(7);
    const keys = (await jax.random.split(jax.random.key(7), 4).jsAsync()) as number[][];
    for (let n = 0; n < 4; n++) assert.deepEqual(await rngs.default().jsAsync(), keys[n]);
  });

  it("fork() gives a new stream keyed by this stream's next key, with count 0 and the same tag", async () => {
    const rngs = new nnx.Rngs({ dropout: 7 });
    const forked = rngs.dropout.fork();
    assert.notEqual(forked, rngs.dropout);
    assert.equal(forked.tag, "dropout");
    assert.equal(await rngs.dropout.count.value.jsAsync(), 1);
    assert.equal(await forked.count.value.jsAsync(), 0);
    // fold_in(k, n) = split(k, n + 1)[n]: the fork's key is split(key7, 1)[0], its first key split(that, 1)[0].
    const forkKey = (await jax.random.split(jax.random.key(7), 1).jsAsync()) as number[][];
    assert.deepEqual(await forked.key.value.jsAsync(), forkKey[0]);
    const firstOfFork = (await jax.random.split(np.array(forkKey[0]!, { dtype: np.uint32 }), 1).jsAsync()) as number[][];
    assert.deepEqual(await forked().jsAsync(), firstOfFork[0]);
    assert.equal(await forked.count.value.jsAsync(), 1);
  });

  it("is deterministic: the same seeds build the same parameters", async () => {
    const a = new RandomLinear(3, 2, new nnx.Rngs(0));
    const b = new RandomLinear(3, 2, new nnx.Rngs(0));
    const c = new RandomLinear(3, 2, new nnx.Rngs(1));
    const [va, vb, vc] = await Promise.all([a.kernel.value.jsAsync(), b.kernel.value.jsAsync(), c.kernel.value.jsAsync()]);
    assert.deepEqual(va, vb);
    assert.notDeepEqual(va, vc);
  });

  it("keys and counts are Variables in the state, tagged with the stream name", () => {
    const rngs = new nnx.Rngs(0, { dropout: 1 });
    const state = nnx.state(rngs);
    assert.deepEqual(state.flatState().map(([p, v]) => `${p.join(".")}:${(v as nnx.Variable).constructor.name}`), [
      "default.count:RngCount", "default.key:RngKey", "dropout.count:RngCount", "dropout.key:RngKey",
    ]);
    assert.equal((state.at("dropout", "key") as nnx.RngKey).tag, "dropout");
    assert.deepEqual(nnx.state(rngs, "dropout").flatState().length, 2);
  });

  it("accepts a raw uint32[2] key as a seed", async () => {
    const rngs = new nnx.Rngs({ params: jax.random.key(0) });
    assert.deepEqual(await rngs.params().jsAsync(), flaxParams0);
  });

  it("an unknown stream without a default is an error naming it", () => {
    const rngs = new nnx.Rngs({ params: 0 });
    assert.throws(() => rngs.dropout(), /Rngs has no stream "dropout" and no "default" stream to fall back on \(streams: params\)/);
    assert.throws(() => new nnx.Rngs(1.5), /seed of stream "default" must be an integer/);
    assert.throws(() => new nnx.Rngs({ stream: 0 }), /"stream" cannot name a stream/);
    assert.throws(() => new nnx.Rngs({ a: np.zeros([3]) }), /stream "a" needs an integer seed or a uint32\[2\] key, got float32\[3\]/);
  });
});
