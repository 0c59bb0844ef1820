/**
 * tsnnx's optax against the real Optax: five steps of each optimiser from the
 * same params and gradients give the same params and the same state leaves
 * (same layout, same values). Reference values come from
 * test/optax/optax_reference.py run in the shared Python venv.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../helpers/devices.js";
import * as optax from "../../src/optax/index.js";

const np = jax.numpy;

let reference: Record<string, unknown> | undefined;

function optaxReference(): Record<string, unknown> {
  if (!reference) {
    const venv = fileURLToPath(new URL("../python/ensure-venv.sh", import.meta.url));
    const python = execFileSync("bash", [venv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
    const script = fileURLToPath(new URL("./optax_reference.py", import.meta.url));
    const out = execFileSync(python, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 10 * 60_000 });
    reference = JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
  }
  return reference;
}

// Keys in sorted order, as JAX flattens dicts, so state leaves line up with Optax's.
const gradsAt = (t: number) => ({ b: np.array([-1 + 0.5 * t]), w: np.array([0.1 * t, -0.2, 3 / t]) });

async function run(tx: optax.GradientTransformation) {
  let params = { b: np.array([0.25]), w: np.array([1, -2, 0.5]) };
  let state = tx.init(optax.treeRef(params));
  for (let t = 1; t <= 5; t++) {
    const [updates, next] = tx.update(gradsAt(t), state, optax.treeRef(params));
    state = next;
    params = optax.applyUpdates(params, updates);
  }
  const leaves: number[][] = [];
  for (const leaf of optax.treeLeaves(state)) leaves.push(Array.from(await leaf.ref.data(), Number));
  optax.treeDispose(state);
  return { w: Array.from(await params.w.data(), Number), b: Array.from(await params.b.data(), Number), state: leaves };
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, Optax has ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= 2e-5 * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: tsnnx ${a}, Optax ${expected[i]}`));
}

const schedule = (step: number) => 0.1 / (1 + step);
const optimisers: Record<string, () => optax.GradientTransformation> = {
  adam: () => optax.adam(0.1),
  adam_b: () => optax.adam(0.05, { b1: 0.5, b2: 0.9, eps: 1e-3 }),
  adam_schedule: () => optax.adam(schedule),
  adamw: () => optax.adamw(0.05, { weightDecay: 0.1 }),
  sgd: () => optax.sgd(0.1),
  sgd_momentum: () => optax.sgd(0.1, { momentum: 0.9 }),
  sgd_nesterov: () => optax.sgd(0.1, { momentum: 0.9, nesterov: true }),
  clip_adam: () => optax.chain(optax.clipByGlobalNorm(1), optax.adam(0.1)),
};

describeEachDevice("optax against the real Optax", () => {
  before(function () {
    this.timeout(40 * 60_000);
    optaxReference();
  });

  for (const [name, make] of Object.entries(optimisers)) {
    it(`${name}: same params and state leaves after five steps`, async () => {
      const ref = optaxReference();
      const got = await run(make());
      assertClose(got.w, ref[`${name}.w`] as number[], `${name} w`);
      assertClose(got.b, ref[`${name}.b`] as number[], `${name} b`);
      const refState = ref[`${name}.state`] as number[][];
      assert.equal(got.state.length, refState.length, `${name}: ${got.state.length} state leaves, Optax has ${refState.length}`);
      got.state.forEach((leaf, i) => assertClose(leaf, refState[i]!, `${name} state leaf ${i}`));
    });
  }
});
