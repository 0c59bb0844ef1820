import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../helpers/devices.js";
import { liveBuffers } from "../helpers/live-buffers.js";
import * as optax from "../../src/optax/index.js";
import { assertClose, toArrays, toNumbers, type NumTree } from "./helpers.js";

const np = jax.numpy;

const gradAt = (t: number): NumTree => ({ a: [1, -t], b: [0.5 * t] });

/** SGD with momentum in doubles: trace = g + mu trace; step = -lr (nesterov ? g + mu trace : trace). */
function sgdByHand(steps: number, lr: number, momentum: number, nesterov: boolean): NumTree {
  const p: NumTree = { a: [0, 0], b: [1] };
  const trace: NumTree = { a: [0, 0], b: [0] };
  for (let t = 1; t <= steps; t++) {
    const g = gradAt(t);
    for (const k of Object.keys(p)) {
      p[k] = p[k]!.map((pi, i) => {
        trace[k]![i] = g[k]![i]! + momentum * trace[k]![i]!;
        return pi - lr * (nesterov ? g[k]![i]! + momentum * trace[k]![i]! : trace[k]![i]!);
      });
    }
  }
  return p;
}

async function run(tx: optax.GradientTransformation, steps: number) {
  let params = toArrays({ a: [0, 0], b: [1] });
  let state = tx.init(optax.treeRef(params));
  for (let t = 1; t <= steps; t++) {
    const [updates, next] = tx.update(toArrays(gradAt(t)), state);
    state = next;
    params = optax.applyUpdates(params, updates);
  }
  optax.treeDispose(state);
  return toNumbers(params);
}

describeEachDevice("optax.sgd", () => {
  for (const [label, options] of [
    ["plain", {}],
    ["momentum", { momentum: 0.9 }],
    ["nesterov", { momentum: 0.9, nesterov: true }],
  ] as const) {
    it(`${label} matches the update rule worked out in doubles`, async () => {
      const params = await run(optax.sgd(0.1, options), 4);
      const expected = sgdByHand(4, 0.1, "momentum" in options ? options.momentum : 0, "nesterov" in options);
      assertClose(params.a!, expected.a!, 1e-6, "a");
      assertClose(params.b!, expected.b!, 1e-6, "b");
    });
  }

  it("keeps Optax's state layout: [{trace}, {}] with momentum, [{}, {}] without", () => {
    const withMomentum = optax.sgd(0.1, { momentum: 0.5 }).init({ w: np.zeros([2]) }) as [{ trace: { w: jax.Array } }, object];
    assert.deepEqual(Object.keys(withMomentum[0]), ["trace"]);
    assert.deepEqual(withMomentum[0].trace.w.shape, [2]);
    assert.deepEqual(withMomentum[1], {});
    optax.treeDispose(withMomentum);
    assert.deepEqual(optax.sgd(0.1).init({ w: np.zeros([2]) }), [{}, {}]);
  });
});

describeEachDevice("optax.clipByGlobalNorm", () => {
  it("scales every leaf by maxNorm / globalNorm when the norm is larger", async () => {
    // global norm of {a: [3], b: [0, 4]} is 5
    const tx = optax.clipByGlobalNorm(1);
    const [clipped, state] = tx.update(toArrays({ a: [3], b: [0, 4] }), tx.init(null));
    assert.deepEqual(state, {});
    const out = await toNumbers(clipped);
    assertClose(out.a!, [0.6], 1e-6, "a");
    assertClose(out.b!, [0, 0.8], 1e-6, "b");
  });

  it("leaves updates alone below maxNorm and composes in a chain", async () => {
    const [same] = optax.clipByGlobalNorm(10).update(toArrays({ a: [3], b: [0, 4] }), {});
    assert.deepEqual(await toNumbers(same), { a: [3], b: [0, 4] });
    const tx = optax.chain(optax.clipByGlobalNorm(2.5), optax.sgd(1));
    const state = tx.init(toArrays({ a: [0], b: [0, 0] }));
    const [updates] = tx.update(toArrays({ a: [3], b: [0, 4] }), state);
    const out = await toNumbers(updates);
    assertClose(out.a!, [-1.5], 1e-6, "a");
    assertClose(out.b!, [0, -2], 1e-6, "b");
    assert.deepEqual(Array.from(await optax.globalNorm({ x: np.array([1, 2, 2]) }).data()), [3]);
    assert.throws(() => optax.clipByGlobalNorm(0), /clipByGlobalNorm: maxNorm must be > 0, got 0/);
  });
});

describeEachDevice("optax trees and memory", () => {
  it("walks nested lists and objects and names where two trees differ", async () => {
    const doubled = optax.treeMap((x) => x.mul(2), { a: [np.array([1]), { b: np.array([2]) }] });
    assert.deepEqual(Array.from(await (doubled.a[1] as { b: jax.Array }).b.data(), Number), [4]);
    (doubled.a[0] as jax.Array).dispose();
    assert.throws(
      () => optax.treeMap((x, y) => x.add(y), { a: { b: np.zeros([1]) } }, { a: { c: np.zeros([1]) } }),
      /tree structure mismatch at 'a': an object with keys \[b\] in the first tree, an object with keys \[c\] in another/,
    );
    assert.throws(() => optax.applyUpdates({ w: np.zeros([1]) }, { w: [np.zeros([1])] }), /tree structure mismatch at 'w'/);
  });

  it("allocates nothing that outlives a step (adamw with clipping, 50 steps)", async function () {
    const device = jax.defaultDevice();
    const tx = optax.chain(optax.clipByGlobalNorm(1), optax.adamw((step) => 0.01 / (1 + step)));
    // Real buffers (random draws), not constants, which jax-js keeps as lazy expressions.
    let params = { w: jax.random.normal(jax.random.key(0), [8, 4]), b: jax.random.normal(jax.random.key(1), [4]) };
    const grads = { w: jax.random.normal(jax.random.key(2), [8, 4]), b: jax.random.normal(jax.random.key(3), [4]) };
    let state = tx.init(optax.treeRef(params));
    const counts: number[] = [];
    for (let t = 0; t < 50; t++) {
      const [updates, next] = tx.update(optax.treeRef(grads), state, optax.treeRef(params));
      state = next;
      params = optax.applyUpdates(params, updates);
      // Pending kernels hold their inputs until they run: flush them so every buffer's fate is settled.
      await jax.blockUntilReady(optax.treeLeaves([params, state]));
      counts.push(liveBuffers(device));
    }
    assert.equal(counts[49], counts[9], `live buffers grew from ${counts[9]} (step 10) to ${counts[49]} (step 50): ${counts.join(",")}`);
    optax.treeDispose([state, params, grads]);
  });
});
