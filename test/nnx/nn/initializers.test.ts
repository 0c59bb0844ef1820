import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as init from "../../../src/nnx/nn/initializers.js";
import { erfinv } from "../../../src/nnx/nn/jax-samplers.js";

const np = jax.numpy;
const key = (seed: number) => jax.random.key(seed);

async function values(x: jax.Array): Promise<number[]> {
  return Array.from(await x.data(), Number);
}

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

/** E[z^2] and E[z^4] of a standard normal truncated to [-2, 2], by Simpson's rule (independent of the sampler). */
function truncatedMoments(): { m2: number; m4: number; pInside1: number } {
  const n = 20000;
  const h = 4 / n;
  let z0 = 0;
  let z2 = 0;
  let z4 = 0;
  let inside1 = 0;
  for (let i = 0; i <= n; i++) {
    const x = -2 + i * h;
    const w = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp((-x * x) / 2);
    z0 += w;
    z2 += w * x * x;
    z4 += w * x ** 4;
    if (Math.abs(x) <= 1) inside1 += w * (Math.abs(x) === 1 ? 0.5 : 1);
  }
  return { m2: z2 / z0, m4: z4 / z0, pInside1: inside1 / z0 };
}

/** Assert the sample variance is within 4 sigma of its sampling distribution. */
function assertVariance(xs: number[], variance: number, kurtosis: number, what: string): void {
  const { mean, variance: s2 } = moments(xs);
  const sigmaS2 = Math.sqrt(((kurtosis - 1) * variance ** 2) / xs.length);
  assert.ok(Math.abs(s2 - variance) < 4 * sigmaS2, `${what}: sample variance ${s2}, expected ${variance} ± ${4 * sigmaS2}`);
  const sigmaMean = Math.sqrt(variance / xs.length);
  assert.ok(Math.abs(mean) < 4 * sigmaMean, `${what}: sample mean ${mean}, expected 0 ± ${4 * sigmaMean}`);
}

describeEachDevice("nnx initializers", () => {
  it("zeros, ones and constant fill with the dtype asked", async () => {
    const z = init.zeros(key(0), [2, 3], np.float32);
    assert.deepEqual(z.shape, [2, 3]);
    assert.deepEqual(await values(z), [0, 0, 0, 0, 0, 0]);
    const o = init.ones(key(0), [2], np.int32);
    assert.equal(o.dtype, np.int32);
    assert.deepEqual(await values(o), [1, 1]);
    assert.deepEqual(await values(init.constant(0.5)(key(0), [3])), [0.5, 0.5, 0.5]);
  });

  it("erfinv matches reference values on both branches", async () => {
    // Reference values from scipy.special.erfinv.
    const xs = [0, 0.5, -0.9, 0.99, 0.999];
    const expected = [0, 0.4769362762044699, -1.1630871536766743, 1.8213863677184496, 2.326753765513525];
    const got = await values(erfinv(np.array(xs)));
    got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 2e-5 * Math.max(1, Math.abs(expected[i]!)), `erfinv(${xs[i]}) = ${g}`));
    // The central-branch-only path, valid while |x| <= 0.99
    const central = await values(erfinv(np.array(xs.slice(0, 4)), 0.99));
    central.forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 2e-5 * Math.max(1, Math.abs(expected[i]!)), `erfinv(${xs[i]}) = ${g} (central)`));
  });

  it("lecunNormal has variance 1/fan_in, truncated at 2 standard normal units", async () => {
    const { m2, m4, pInside1 } = truncatedMoments();
    assert.ok(Math.abs(m2 - 0.87962566103423978 ** 2) < 1e-9); // the correction constant is the truncated stddev
    const shape = [512, 256];
    const xs = await values(init.lecunNormal()(key(1), shape));
    const variance = 1 / 512;
    assertVariance(xs, variance, m4 / m2 ** 2, "lecunNormal");
    const unit = Math.sqrt(variance) / Math.sqrt(m2); // one standard-normal unit after scaling
    assert.ok(xs.every((x) => Math.abs(x) <= 2 * unit * (1 + 1e-6)), "a sample lies beyond the truncation");
    // Shape of the distribution: P(|z| < 1) for the truncated normal, within 4 binomial sigma.
    const inside = xs.filter((x) => Math.abs(x) < unit).length / xs.length;
    const sigma = Math.sqrt((pInside1 * (1 - pInside1)) / xs.length);
    assert.ok(Math.abs(inside - pInside1) < 4 * sigma, `P(|z|<1) = ${inside}, expected ${pInside1}`);
  });

  it("glorotUniform counts the receptive field of a conv kernel", async () => {
    // [3, 3, 16, 32]: fan_in = 9*16 = 144, fan_out = 9*32 = 288, fan_avg = 216.
    assert.deepEqual(init.computeFans([3, 3, 16, 32]), [144, 288]);
    const xs = await values(init.glorotUniform()(key(2), [3, 3, 16, 32]));
    const bound = Math.sqrt(3 / 216);
    assert.ok(xs.every((x) => Math.abs(x) <= bound), "a sample lies beyond sqrt(3 * variance)");
    assertVariance(xs, 1 / 216, 9 / 5, "glorotUniform");
  });

  it("heNormal, heUniform and varianceScaling(fan_out, normal) scale as JAX does", async () => {
    const { m2, m4 } = truncatedMoments();
    assertVariance(await values(init.heNormal()(key(3), [400, 300])), 2 / 400, m4 / m2 ** 2, "heNormal");
    assertVariance(await values(init.heUniform()(key(4), [400, 300])), 2 / 400, 9 / 5, "heUniform");
    assertVariance(await values(init.varianceScaling(3, "fan_out", "normal")(key(5), [200, 500])), 3 / 500, 3, "fan_out normal");
    assertVariance(await values(init.normal(0.5)(key(6), [100000])), 0.25, 3, "normal(0.5)");
    const xs = await values(init.uniform(2)(key(7), [50000]));
    assert.ok(xs.every((x) => x >= 0 && x < 2));
    assert.ok(Math.abs(moments(xs).mean - 1) < 4 * Math.sqrt(1 / 3 / xs.length));
  });

  it("is deterministic in the key", async () => {
    const a = await values(init.lecunNormal()(key(9), [4, 4]));
    const b = await values(init.lecunNormal()(key(9), [4, 4]));
    const c = await values(init.lecunNormal()(key(10), [4, 4]));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it("rejects bad shapes, dtypes and modes by name", () => {
    assert.throws(() => init.lecunNormal()(key(0), [5]), /cannot compute fans of a 1-dimensional shape \[5\]/);
    assert.throws(() => init.normal()(key(0), [2], np.int32), /normal: random values need a floating dtype, got int32/);
    assert.throws(() => init.varianceScaling(1, "fan_sum" as init.FanMode, "normal"), /mode must be fan_in, fan_out or fan_avg, got fan_sum/);
    assert.throws(() => init.zeros(key(0), [2, -1]), /zeros: shape must be a list of non-negative integers/);
  });
});
