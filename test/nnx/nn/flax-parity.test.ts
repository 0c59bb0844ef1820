/**
 * tsnnx's layers and initialisers against the real Flax NNX: the same seeds
 * give the same parameters (jax-js's threefry and uniform are JAX's, and our
 * normal / truncated-normal samplers follow JAX's), and the same inputs the
 * same outputs. Reference values come from test/nnx/nn/flax_reference.py run
 * in the shared Python venv.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";

const np = jax.numpy;
const init = nnx.initializers;

let reference: Record<string, number[]> | undefined;

function flaxReference(): Record<string, number[]> {
  if (!reference) {
    const venv = fileURLToPath(new URL("../../python/ensure-venv.sh", import.meta.url));
    const python = execFileSync("bash", [venv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
    const script = fileURLToPath(new URL("./flax_reference.py", import.meta.url));
    const out = execFileSync(python, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 10 * 60_000 });
    reference = JSON.parse(out.trim().split("\n").pop()!) as Record<string, number[]>;
  }
  return reference;
}

async function assertMatches(name: string, x: jax.Array, tol = 2e-5): Promise<void> {
  const expected = flaxReference()[name];
  assert.ok(expected, `the reference has no ${name}`);
  const actual = Array.from(await x.data(), Number);
  assert.equal(actual.length, expected.length, `${name}: ${actual.length} values, Flax has ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${name}[${i}]: tsnnx ${a}, Flax ${e}`);
  });
}

describeEachDevice("nnx.nn against Flax NNX", () => {
  before(function () {
    this.timeout(40 * 60_000);
    flaxReference();
  });

  it("Linear: the same seed draws the same kernel, and the same input gives the same output", async () => {
    const linear = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0) });
    await assertMatches("linear.kernel", linear.kernel.value);
    await assertMatches("linear.bias", linear.bias!.value);
    await assertMatches("linear.call", linear.call(np.array([[1, -2, 0.5], [0.25, 3, -1]])));
  });

  it("Conv: kernels and outputs, SAME and strided VALID with feature groups", async () => {
    const image = () => np.arange(0, 100).astype(np.float32).reshape([2, 5, 5, 2]).div(10);
    const conv = new nnx.Conv(2, 3, [3, 3], { rngs: new nnx.Rngs(1) });
    await assertMatches("conv.kernel", conv.kernel.value);
    await assertMatches("conv.call", conv.call(image()));
    const strided = new nnx.Conv(2, 4, [3, 3], { rngs: new nnx.Rngs(5), strides: 2, padding: "VALID", featureGroupCount: 2 });
    await assertMatches("strided.kernel", strided.kernel.value);
    await assertMatches("strided.call", strided.call(image()));
  });

  it("Embed draws Flax's default table", async () => {
    await assertMatches("embed.embedding", new nnx.Embed(5, 4, { rngs: new nnx.Rngs(2) }).embedding.value);
  });

  it("BatchNorm: training outputs, running statistics and eval outputs", async () => {
    const batch = () => np.array([[1, 2, 3], [4, 0, -1], [0.5, 0.5, 0.5], [2, -3, 7]]);
    const bn = new nnx.BatchNorm(3, { momentum: 0.8, rngs: new nnx.Rngs(0) });
    await assertMatches("bn.train", bn.call(batch()));
    await assertMatches("bn.train2", bn.call(batch().mul(2).add(1)));
    await assertMatches("bn.mean", bn.mean.value);
    await assertMatches("bn.var", bn.var.value);
    bn.eval();
    await assertMatches("bn.eval", bn.call(batch()));
    await assertMatches("ln.call", new nnx.LayerNorm(3, { rngs: new nnx.Rngs(0) }).call(batch()));
  });

  it("Dropout forks its stream as Flax does, so the same seeds drop the same elements", async () => {
    const drop = new nnx.Dropout(0.5, { rngs: new nnx.Rngs({ dropout: 3 }) });
    assert.deepEqual(nnx.state(drop).flatState().map(([path]) => path.join(".")), ["rngs.count", "rngs.key"]);
    await assertMatches("dropout.first", drop.call(np.ones([4, 8])));
    await assertMatches("dropout.second", drop.call(np.ones([4, 8])));
    const shared = new nnx.Dropout(0.25, { broadcastDims: [0], rngs: new nnx.Rngs({ params: 0, dropout: 9 }) });
    await assertMatches("dropout.broadcast", shared.call(np.ones([4, 8])));
  });

  it("initializers draw what jax.nn.initializers draws from the same key", async () => {
    const key = () => jax.random.key(3);
    await assertMatches("init.glorot_uniform", init.glorotUniform()(key(), [4, 5]));
    await assertMatches("init.he_normal", init.heNormal()(key(), [4, 5]));
    await assertMatches("init.lecun_uniform", init.lecunUniform()(key(), [3, 3, 2, 4]));
    await assertMatches("init.normal", init.normal(0.5)(key(), [7]));
    await assertMatches("init.uniform", init.uniform(2)(key(), [7]));
    await assertMatches("init.truncated_normal", init.truncatedNormal(0.1)(key(), [7]));
    await assertMatches("init.variance_scaling", init.varianceScaling(2, "fan_out", "normal")(key(), [4, 5]));
  });
});
