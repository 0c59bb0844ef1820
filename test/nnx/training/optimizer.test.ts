import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";
import * as optax from "../../../src/optax/index.js";

const np = jax.numpy;

const read = async (x: jax.Array) => Array.from(await x.data(), Number);

function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: got ${actual[i]}, expected ${e}`));
}

/** A Linear(2, 1) with known parameters. */
function linear(): nnx.Linear {
  const layer = new nnx.Linear(2, 1, { rngs: new nnx.Rngs(0) });
  layer.kernel.value = np.array([[1], [-1]]);
  layer.bias!.value = np.array([0.5]);
  return layer;
}

/** sum(layer(x)): its gradient is constant, kernel: column sums of x, bias: the batch size. */
const x = () => np.array([[1, 2], [3, -4]]);
const sumLoss = (m: nnx.Linear, input: jax.Array) => np.sum(m.call(input));
const gradKernel = [1 + 3, 2 - 4];
const gradBias = 2;

describeEachDevice("nnx.Optimizer", () => {
  it("applies SGD updates to the model's Params in place and counts steps", async () => {
    const model = linear();
    const optimizer = new nnx.Optimizer(model, optax.sgd(0.1));
    for (let i = 0; i < 2; i++) {
      const grads = nnx.grad(sumLoss)(model, x()) as nnx.State;
      optimizer.update(model, grads);
    }
    assertClose(await read(model.kernel.value), [1 - 0.2 * gradKernel[0]!, -1 - 0.2 * gradKernel[1]!], 1e-6, "kernel");
    assertClose(await read(model.bias!.value), [0.5 - 0.2 * gradBias], 1e-6, "bias");
    assert.equal(optimizer.step.value.dtype, np.uint32);
    assert.deepEqual(await read(optimizer.step.value), [2]);
  });

  it("matches Adam's closed form for a constant gradient", async () => {
    // With g constant, m_t / (1 - b1^t) = g and v_t / (1 - b2^t) = g², so each step moves -lr g / (|g| + eps).
    const lr = 0.05;
    const model = linear();
    const optimizer = new nnx.Optimizer(model, optax.adam(lr));
    for (let i = 0; i < 3; i++) optimizer.update(model, nnx.grad(sumLoss)(model, x()) as nnx.State);
    const step = (g: number) => (lr * g) / (Math.abs(g) + 1e-8);
    assertClose(await read(model.kernel.value), [1 - 3 * step(gradKernel[0]!), -1 - 3 * step(gradKernel[1]!)], 1e-5, "kernel");
    assertClose(await read(model.bias!.value), [0.5 - 3 * step(gradBias)], 1e-5, "bias");
  });

  it("keeps step and opt_state as Variables with Flax's paths and kinds", () => {
    const model = linear();
    const optimizer = new nnx.Optimizer(model, optax.adam(0.1));
    const flat = nnx.state(optimizer).flatState();
    const described = flat.map(([path, leaf]) => `${path.join(".")}:${(leaf as object).constructor.name}`);
    assert.deepEqual(described, [
      "opt_state.0.count:OptArray",
      "opt_state.0.mu.bias:OptVariable",
      "opt_state.0.mu.kernel:OptVariable",
      "opt_state.0.nu.bias:OptVariable",
      "opt_state.0.nu.kernel:OptVariable",
      "step:OptState",
    ]);
    assert.equal(optimizer.optState, optimizer.opt_state);
    assert.ok(nnx.state(optimizer, nnx.OptState).flatState().length === 6);
  });

  it("updates only the Variables matching wrt", async () => {
    class Model extends nnx.Module {
      linear = linear();
      bn = new nnx.BatchNorm(1, { rngs: new nnx.Rngs(0) });
      call(input: jax.Array) {
        return this.bn.call(this.linear.call(input));
      }
    }
    const model = new Model();
    const optimizer = new nnx.Optimizer(model, optax.sgd(0.1), { wrt: nnx.PathContains("linear") });
    const grads = nnx.grad((m: Model, input: jax.Array) => np.sum(m.linear.call(input)), { wrt: nnx.PathContains("linear") })(model, x()) as nnx.State;
    optimizer.update(model, grads);
    assertClose(await read(model.linear.bias!.value), [0.5 - 0.1 * gradBias], 1e-6, "linear bias");
    assert.deepEqual(await read(model.bn.scale!.value), [1]);
  });

  it("trains inside nnx.jit with the same result as eagerly", async () => {
    const run = async (jitted: boolean) => {
      const model = linear();
      const optimizer = new nnx.Optimizer(model, optax.adam(0.1));
      const step = (m: nnx.Linear, o: nnx.Optimizer, input: jax.Array) => {
        const [loss, grads] = nnx.valueAndGrad((mm: nnx.Linear, xx: jax.Array) => np.sum(np.square(mm.call(xx))))(m, input);
        o.update(m, grads as nnx.State);
        return loss as jax.Array;
      };
      const f = jitted ? nnx.jit(step) : step;
      for (let i = 0; i < 3; i++) (f(model, optimizer, x()) as jax.Array).dispose();
      if (jitted) (f as unknown as { dispose(): void }).dispose();
      return [...(await read(model.kernel.value)), ...(await read(optimizer.step.value))];
    };
    const eager = await run(false);
    assert.equal(eager[2], 3);
    assertClose(await run(true), eager, 1e-5, "jit vs eager");
  });

  it("refuses a learning-rate schedule inside nnx.jit, saying why", () => {
    const model = linear();
    const optimizer = new nnx.Optimizer(model, optax.adam((step) => 0.1 / (1 + step)));
    const step = nnx.jit((m: nnx.Linear, o: nnx.Optimizer, input: jax.Array) => {
      o.update(m, nnx.grad(sumLoss)(m, input) as nnx.State);
      return np.zeros([1]);
    });
    assert.throws(() => step(model, optimizer, x()), /scaleBySchedule: a schedule is a JS function of the step number, which is unknown while jit or grad traces the update/);
    step.dispose();
  });

  it("rejects grads that do not match the model, naming the paths", () => {
    const model = linear();
    const optimizer = new nnx.Optimizer(model, optax.sgd(0.1));
    const other = new nnx.Linear(2, 1, { rngs: new nnx.Rngs(0), useBias: false });
    assert.throws(() => optimizer.update(model, nnx.state(other, nnx.Param)), /grads do not match the model's optimised Variables \(missing bias\)/);
    const wide = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });
    assert.throws(() => optimizer.update(model, nnx.state(wide, nnx.Param)), /the gradient at bias has shape \[3\], the parameter \[1\]/);
    assert.throws(() => new nnx.Optimizer(model, {} as optax.GradientTransformation), /tx must be an optax gradient transformation/);
  });
});
