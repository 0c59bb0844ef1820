import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import { liveBuffers } from "../../helpers/live-buffers.js";
import * as nnx from "../../../src/nnx/index.js";
import * as optax from "../../../src/optax/index.js";

const np = jax.numpy;

class MLP extends nnx.Module {
  layers: nnx.Linear[];
  constructor(sizes: number[], rngs: nnx.Rngs) {
    super();
    this.layers = sizes.slice(1).map((out, i) => new nnx.Linear(sizes[i]!, out, { rngs }));
  }
  call(x: jax.Array): jax.Array {
    this.layers.forEach((layer, i) => {
      x = layer.call(x);
      if (i < this.layers.length - 1) x = nnx.relu(x);
    });
    return x;
  }
}

const mse = (model: MLP, x: jax.Array, y: jax.Array) => np.mean(np.square(model.call(x).sub(y)));

function trainStep(model: MLP, optimizer: nnx.Optimizer, x: jax.Array, y: jax.Array): jax.Array {
  const [loss, grads] = nnx.valueAndGrad(mse)(model, x, y);
  optimizer.update(model, grads as nnx.State);
  return loss as jax.Array;
}

/** y = sin(3 x0) / 2 + x1², a smooth nonlinear target on [-1, 1]². */
async function dataset(n: number, seed: number): Promise<{ x: jax.Array; y: jax.Array; variance: number }> {
  const xs = Array.from(await jax.random.uniform(jax.random.key(seed), [n, 2], { minval: -1, maxval: 1 }).data(), Number);
  const ys = Array.from({ length: n }, (_, i) => Math.sin(3 * xs[2 * i]!) / 2 + xs[2 * i + 1]! ** 2);
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  const variance = ys.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { x: np.array(xs).reshape([n, 2]), y: np.array(ys).reshape([n, 1]), variance };
}

/** Every array the model and optimizer hold, to flush their pending kernels before counting buffers. */
function heldArrays(...nodes: unknown[]): jax.Array[] {
  return nodes.flatMap((node) => nnx.state(node).flatState().map(([, leaf]) => (leaf as nnx.Variable).raw));
}

describeEachDevice("training an MLP", (device) => {
  it("learns a synthetic regression to a hundredth of the target's variance", async function () {
    this.timeout(600_000);
    const { x, y, variance } = await dataset(128, 1);
    const model = new MLP([2, 32, 32, 1], new nnx.Rngs(0));
    const optimizer = new nnx.Optimizer(model, optax.adam(0.01));
    const step = nnx.jit(trainStep);
    let first = NaN;
    let last = NaN;
    for (let i = 0; i < 300; i++) {
      const loss = step(model, optimizer, x.ref, y.ref);
      if (i === 0 || i === 299) {
        const value = (await loss.data())[0]!;
        if (i === 0) first = value;
        else last = value;
      } else loss.dispose();
    }
    step.dispose();
    x.dispose();
    y.dispose();
    assert.ok(first > 0.5 * variance, `the untrained loss ${first} should be near the variance ${variance}`);
    assert.ok(last < 0.01 * variance, `loss after 300 Adam steps: ${last}; target variance ${variance}`);
    assert.deepEqual(Array.from(await optimizer.step.value.data(), Number), [300]);
  });

  it("keeps live device buffers flat over 1,000 training steps (and 100 eager ones)", async function () {
    this.timeout(900_000);
    liveBuffers(device); // start counting before anything is allocated
    const { x, y } = await dataset(32, 2);
    const model = new MLP([2, 16, 1], new nnx.Rngs(0));
    const optimizer = new nnx.Optimizer(model, optax.adamw(1e-3));
    const count = async () => {
      await jax.blockUntilReady(heldArrays(model, optimizer));
      return liveBuffers(device);
    };
    // Eager steps exercise the Optimizer's own reference counting.
    const eager: number[] = [];
    for (let i = 1; i <= 100; i++) {
      trainStep(model, optimizer, x.ref, y.ref).dispose();
      if (i % 25 === 0) eager.push(await count());
    }
    assert.ok(eager.every((n) => n === eager[0]), `live buffers after eager steps 25, 50, 75, 100: ${eager.join(", ")}`);
    const steps = device === "wasm" ? 1000 : 200;
    const step = nnx.jit(trainStep);
    const jitted: number[] = [];
    for (let i = 1; i <= steps; i++) {
      step(model, optimizer, x.ref, y.ref).dispose();
      if (i % (steps / 5) === 0) jitted.push(await count());
    }
    assert.ok(jitted.every((n) => n === jitted[0]), `live buffers at fifths of ${steps} jitted steps: ${jitted.join(", ")}`);
    step.dispose();
    x.dispose();
    y.dispose();
  });
});
