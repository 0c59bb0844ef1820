/**
 * Resuming training from a checkpoint: save the model's and the optimizer's
 * state with ocp, restore them into a freshly built model and optimizer, and
 * the next steps (with a learning-rate schedule, which reads the restored
 * step count) match those of the run that never stopped.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";
import * as ocp from "../../../src/ocp/index.js";
import * as optax from "../../../src/optax/index.js";

const np = jax.numpy;

class MLP extends nnx.Module {
  layers: nnx.Linear[];
  constructor(rngs: nnx.Rngs) {
    super();
    this.layers = [new nnx.Linear(3, 8, { rngs }), new nnx.Linear(8, 1, { rngs })];
  }
  call(x: jax.Array): jax.Array {
    return this.layers[1]!.call(nnx.gelu(this.layers[0]!.call(x)));
  }
}

const makeTx = () => optax.chain(optax.clipByGlobalNorm(1), optax.adamw(optax.warmupCosineDecaySchedule(0, 0.05, 2, 10)));

function train(model: MLP, optimizer: nnx.Optimizer, steps: number): void {
  const x = np.array([[1, 2, 3], [-1, 0, 1], [0.5, -2, 1]]);
  const y = np.array([[1], [-1], [0]]);
  for (let i = 0; i < steps; i++) {
    const [loss, grads] = nnx.valueAndGrad((m: MLP) => np.mean(np.square(m.call(x.ref).sub(y.ref))))(model);
    (loss as jax.Array).dispose();
    optimizer.update(model, grads as nnx.State);
  }
  x.dispose();
  y.dispose();
}

async function values(node: unknown): Promise<number[]> {
  const out: number[] = [];
  for (const [, leaf] of nnx.state(node).flatState()) out.push(...Array.from(await (leaf as nnx.Variable).value.data(), Number));
  return out;
}

describeEachDevice("resuming training from a checkpoint", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-resume-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("continues exactly where the uninterrupted run goes", async () => {
    const model = new MLP(new nnx.Rngs(0));
    const optimizer = new nnx.Optimizer(model, makeTx());
    train(model, optimizer, 3);
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "model"), nnx.state(model));
    await ckptr.save(path.join(dir, "optimizer"), nnx.state(optimizer));
    await ckptr.waitUntilFinished();
    train(model, optimizer, 4);

    const fresh = new MLP(new nnx.Rngs(42));
    const freshOptimizer = new nnx.Optimizer(fresh, makeTx());
    nnx.update(fresh, (await ckptr.restore(path.join(dir, "model"), nnx.state(fresh))) as nnx.State);
    nnx.update(freshOptimizer, (await ckptr.restore(path.join(dir, "optimizer"), nnx.state(freshOptimizer))) as nnx.State);
    assert.deepEqual(Array.from(await freshOptimizer.step.value.data(), Number), [3]);
    // The schedule's step count came from disk: read it once (updates are synchronous, webgpu reads are not).
    await optax.syncCounts(freshOptimizer.optState);
    train(fresh, freshOptimizer, 4);

    const [expected, got] = [await values(model), await values(fresh)];
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-5 * Math.max(1, Math.abs(expected[i]!)), `param ${i}: resumed ${v}, uninterrupted ${expected[i]}`));
    const [expectedOpt, gotOpt] = [await values(optimizer), await values(freshOptimizer)];
    gotOpt.forEach((v, i) => assert.ok(Math.abs(v - expectedOpt[i]!) <= 1e-5 * Math.max(1, Math.abs(expectedOpt[i]!)), `optimizer leaf ${i}: resumed ${v}, uninterrupted ${expectedOpt[i]}`));
  });
});
