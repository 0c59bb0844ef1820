/**
 * nnx.Optimizer against Flax's: the same model, seed, data and AdamW give the
 * same losses, parameters, and optimizer state, under the same paths, Variable
 * types and dtypes (so optimizer checkpoints line up with Python's). Reference
 * from test/nnx/training/flax_optimizer_reference.py in the shared venv.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";
import * as optax from "../../../src/optax/index.js";

const np = jax.numpy;

type Described = [path: string, type: string, dtype: string, values: number[]];
interface Reference {
  losses: number[];
  optimizer: Described[];
  params: Described[];
}

let reference: Reference | undefined;

function flaxReference(): Reference {
  if (!reference) {
    const venv = fileURLToPath(new URL("../../python/ensure-venv.sh", import.meta.url));
    const python = execFileSync("bash", [venv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
    const script = fileURLToPath(new URL("./flax_optimizer_reference.py", import.meta.url));
    const out = execFileSync(python, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 10 * 60_000 });
    reference = JSON.parse(out.trim().split("\n").pop()!) as Reference;
  }
  return reference;
}

class MLP extends nnx.Module {
  layers: nnx.Linear[];
  constructor(rngs: nnx.Rngs) {
    super();
    this.layers = [new nnx.Linear(2, 4, { rngs }), new nnx.Linear(4, 1, { rngs })];
  }
  call(x: jax.Array): jax.Array {
    return this.layers[1]!.call(nnx.relu(this.layers[0]!.call(x)));
  }
}

async function describeState(state: nnx.State): Promise<Described[]> {
  const out: Described[] = [];
  for (const [path, leaf] of state.flatState()) {
    const v = leaf as nnx.Variable;
    out.push([path.join("."), v.constructor.name, String(v.dtype), Array.from(await v.value.data(), Number)]);
  }
  return out;
}

function assertSameState(actual: Described[], expected: Described[], what: string): void {
  assert.deepEqual(actual.map((d) => d.slice(0, 3)), expected.map((d) => d.slice(0, 3)), `${what}: paths, Variable types and dtypes`);
  actual.forEach(([path, , , values], i) => {
    const want = expected[i]![3];
    values.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) <= 2e-5 * Math.max(1, Math.abs(want[j]!)), `${what} ${path}[${j}]: tsnnx ${v}, Flax ${want[j]}`));
  });
}

describeEachDevice("nnx.Optimizer against Flax's", () => {
  before(function () {
    this.timeout(40 * 60_000);
    flaxReference();
  });

  it("three AdamW steps give Flax's losses, params and optimizer state", async () => {
    const ref = flaxReference();
    const model = new MLP(new nnx.Rngs(0));
    const optimizer = new nnx.Optimizer(model, optax.adamw(0.05, { weightDecay: 0.01 }), { wrt: nnx.Param });
    const x = np.array([[1, 2], [-1, 0.5], [0.3, -2]]);
    const y = np.array([[1], [0], [-1]]);
    const lossFn = (m: MLP) => np.mean(np.square(m.call(x.ref).sub(y.ref)));
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
      optimizer.update(model, grads as nnx.State);
      losses.push((await (loss as jax.Array).data())[0]!);
    }
    x.dispose();
    y.dispose();
    losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) < 2e-5 * Math.max(1, ref.losses[i]!), `loss ${i}: tsnnx ${l}, Flax ${ref.losses[i]}`));
    assertSameState(await describeState(nnx.state(model, nnx.Param)), ref.params, "params");
    assertSameState(await describeState(nnx.state(optimizer)), ref.optimizer, "optimizer");
  });
});
