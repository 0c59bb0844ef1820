import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../helpers/devices.js";
import * as optax from "../../src/optax/index.js";
import { assertClose, toArrays, toNumbers, type NumTree } from "./helpers.js";

const np = jax.numpy;

const start: NumTree = { w: [1, -2, 0.5], b: [0.25] };
/** Gradients that change from step to step and do not depend on the params. */
const gradAt = (t: number): NumTree => ({ w: [0.1 * t, -0.2, 3 / t], b: [-1 + 0.5 * t] });

/** Adam (and AdamW) in plain JS doubles, straight from the paper's / Optax's formulas. */
function adamByHand(steps: number, lr: (t: number) => number, b1: number, b2: number, eps: number, wd = 0): NumTree {
  const p = structuredClone(start);
  const m: NumTree = { w: [0, 0, 0], b: [0] };
  const v: NumTree = { w: [0, 0, 0], b: [0] };
  for (let t = 1; t <= steps; t++) {
    const g = gradAt(t);
    for (const k of Object.keys(p)) {
      p[k] = p[k]!.map((pi, i) => {
        m[k]![i] = b1 * m[k]![i]! + (1 - b1) * g[k]![i]!;
        v[k]![i] = b2 * v[k]![i]! + (1 - b2) * g[k]![i]! ** 2;
        const mHat = m[k]![i]! / (1 - b1 ** t);
        const vHat = v[k]![i]! / (1 - b2 ** t);
        return pi - lr(t - 1) * (mHat / (Math.sqrt(vHat) + eps) + wd * pi);
      });
    }
  }
  return p;
}

async function run(tx: optax.GradientTransformation, steps: number) {
  let params = toArrays(start);
  let state = tx.init(optax.treeRef(params));
  for (let t = 1; t <= steps; t++) {
    const [updates, next] = tx.update(toArrays(gradAt(t)), state, optax.treeRef(params));
    state = next;
    params = optax.applyUpdates(params, updates);
  }
  return { params: await toNumbers(params), state };
}

describeEachDevice("optax.adam", () => {
  it("matches the closed form for five steps", async () => {
    const { params, state } = await run(optax.adam(0.1), 5);
    const expected = adamByHand(5, () => 0.1, 0.9, 0.999, 1e-8);
    assertClose(params.w!, expected.w!, 2e-5, "w");
    assertClose(params.b!, expected.b!, 2e-5, "b");
    optax.treeDispose(state);
  });

  it("keeps Optax's state layout: [{count, mu, nu}, {}] with an int32 count", async () => {
    const { state } = await run(optax.adam(0.1, { b1: 0.5, b2: 0.9 }), 3);
    assert.ok(Array.isArray(state) && state.length === 2);
    const [adamState, lrState] = state as [Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual(Object.keys(adamState), ["count", "mu", "nu"]);
    assert.deepEqual(lrState, {});
    const count = adamState.count as jax.Array;
    assert.equal(count.dtype, np.int32);
    assert.deepEqual(Array.from(await count.ref.data(), Number), [3]);
    // mu after 3 steps with b1 = 0.5 for b: sum of 0.5^(3-t) * 0.5 * g_t
    const g = [1, 2, 3].map((t) => gradAt(t).b![0]!);
    const mu = 0.5 * (0.25 * g[0]! + 0.5 * g[1]! + g[2]!);
    const mus = await toNumbers({ b: (adamState.mu as Record<string, jax.Array>).b!.ref });
    assertClose(mus.b!, [mu], 1e-6, "mu.b");
    optax.treeDispose(state);
  });

  it("follows a learning-rate schedule evaluated at the pre-step count", async () => {
    const schedule = (step: number) => 0.1 / (1 + step);
    const { params, state } = await run(optax.adam(schedule, { b1: 0.8 }), 4);
    const expected = adamByHand(4, schedule, 0.8, 0.999, 1e-8);
    assertClose(params.w!, expected.w!, 2e-5, "w");
    const [, lrState] = state as [unknown, { count: jax.Array }];
    assert.deepEqual(Array.from(await lrState.count.ref.data(), Number), [4]);
    optax.treeDispose(state);
  });

  it("adamw decays weights decoupled from the gradient scaling", async () => {
    const { params, state } = await run(optax.adamw(0.05, { weightDecay: 0.1 }), 4);
    const expected = adamByHand(4, () => 0.05, 0.9, 0.999, 1e-8, 0.1);
    assertClose(params.w!, expected.w!, 2e-5, "w");
    assertClose(params.b!, expected.b!, 2e-5, "b");
    assert.equal((state as unknown[]).length, 3);
    optax.treeDispose(state);
  });

  it("rejects bad hyper-parameters and foreign states by name", () => {
    assert.throws(() => optax.adam(0.1, { b1: 1.5 }), /scaleByAdam: b1 must be in \[0, 1\), got 1.5/);
    assert.throws(() => optax.adam(Number.NaN), /learningRate must be a finite number or a schedule/);
    const tx = optax.adam(0.1);
    assert.throws(() => tx.update({ w: np.zeros([2]) }, [{}], undefined), /chain: expected a list of 2 states/);
    assert.throws(() => tx.update({ w: np.zeros([2]) }, [{ mu: 1 }, {}], undefined), /scaleByAdam: expected a state with keys \[count, mu, nu\]/);
  });
});
