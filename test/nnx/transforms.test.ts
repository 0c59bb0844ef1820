import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { describeEachDevice } from "../helpers/devices.js";
import { Counter, TinyLinear, read, valueOf } from "./fixtures.js";

const np = jax.numpy;

/** loss = sum((x W + b - y)^2) */
const squaredError = (model: TinyLinear, x: jax.Array, y: jax.Array) => np.sum(np.square(model.call(x).sub(y)));

/** TinyLinear followed by a Counter: the counter's BatchStat changes on every call. */
class Counted extends nnx.Module {
  linear = new TinyLinear([[1, 2], [3, 4]], [0.5, -1]);
  counter = new Counter();
  call(x: jax.Array): jax.Array {
    return this.counter.call(this.linear.call(x));
  }
}

// By hand, with W = [[1, 2], [3, 4]], b = [0.5, -1], x = [[1, 1]], y = [[0, 0]]:
// r = xW + b - y = [4.5, 5]; loss = 4.5^2 + 5^2 = 45.25;
// dL/db = 2r = [9, 10]; dL/dW = x^T (2r) = [[9, 10], [9, 10]]; dL/dx = 2r W^T = [29, 67].
describeEachDevice("nnx.grad / nnx.valueAndGrad", () => {
  const model = () => new TinyLinear([[1, 2], [3, 4]], [0.5, -1]);
  const x = () => np.array([[1, 1]]);
  const y = () => np.array([[0, 0]]);

  it("gives the hand-computed gradient as a State of Params", async () => {
    const m = model();
    const grads = nnx.grad(squaredError)(m, x(), y());
    assert.ok(grads instanceof nnx.State);
    assert.deepEqual(grads.keys(), ["bias", "kernel"]);
    assert.ok(grads.get("kernel") instanceof nnx.Param);
    assert.deepEqual(await valueOf(grads.get("kernel")), [[9, 10], [9, 10]]);
    assert.deepEqual(await valueOf(grads.get("bias")), [9, 10]);
    assert.deepEqual(await valueOf(m.kernel), [[1, 2], [3, 4]], "the model's parameters are unchanged and alive");
    assert.equal(m.kernel.raw.refCount, 1);
  });

  it("valueAndGrad gives the loss too; hasAux passes aux through", async () => {
    const [loss, grads] = nnx.valueAndGrad(squaredError)(model(), x(), y());
    assert.equal(await read(loss), 45.25);
    assert.deepEqual(await valueOf(grads.get("bias")), [9, 10]);
    const withAux = (m: TinyLinear, xs: jax.Array, ys: jax.Array) => {
      const out = m.call(xs);
      return [np.sum(np.square(out.ref.sub(ys))), out] as [jax.Array, jax.Array];
    };
    const [[loss2, aux], grads2] = nnx.valueAndGrad(withAux, { hasAux: true })(model(), x(), y());
    assert.equal(await read(loss2), 45.25);
    assert.deepEqual(await read(aux), [[4.5, 5]]);
    assert.deepEqual(await valueOf(grads2.get("kernel")), [[9, 10], [9, 10]]);
    const [grads3, aux3] = nnx.grad(withAux, { hasAux: true })(model(), x(), y());
    assert.deepEqual(await valueOf(grads3.get("bias")), [9, 10]);
    assert.deepEqual(await read(aux3), [[4.5, 5]]);
  });

  it("argnums: an array argument gets an array gradient; several argnums give several", async () => {
    const gx = nnx.grad(squaredError, { argnums: 1 })(model(), x(), y());
    assert.deepEqual(await read(gx), [[29, 67]]);
    const [gm, gx2] = nnx.grad(squaredError, { argnums: [0, 1] })(model(), x(), y()) as [nnx.State, jax.Array];
    assert.deepEqual(await valueOf(gm.get("bias")), [9, 10]);
    assert.deepEqual(await read(gx2), [[29, 67]]);
    assert.throws(() => nnx.grad(squaredError, { argnums: 5 })(model(), x(), y()), /argnums 5 is out of range for 3 argument/);
  });

  it("wrt selects other Variables; non-Param updates made inside reach the model", async () => {
    const m = new Counted();
    const loss = (net: Counted, xs: jax.Array) => np.sum(net.call(xs));
    const grads = nnx.grad(loss)(m, x());
    // d sum(xW + b)/dW = x^T 1 = [[1, 1], [1, 1]]; d/db = [1, 1]
    assert.deepEqual(await valueOf(grads.at("linear", "kernel")), [[1, 1], [1, 1]]);
    assert.deepEqual(grads.flatState().map(([p]) => p.join(".")), ["linear.bias", "linear.kernel"]);
    assert.equal(await valueOf(m.counter.calls), 1, "the BatchStat increment inside grad was written back");
    nnx.grad(loss)(m, x());
    assert.equal(await valueOf(m.counter.calls), 2);
    const onlyBias = nnx.grad(loss, { wrt: nnx.All(nnx.Param, nnx.PathContains("bias")) })(m, x());
    assert.deepEqual(onlyBias.flatState().map(([p]) => p.join(".")), ["linear.bias"]);
  });
});

describeEachDevice("nnx.jit", () => {
  it("computes what the plain call computes", async () => {
    const m = new TinyLinear([[1, 2], [3, 4]], [0.5, -1]);
    const forward = nnx.jit((model: TinyLinear, xs: jax.Array) => model.call(xs));
    assert.deepEqual(await read(forward(m, np.array([[1, 1]]))), [[4.5, 5]]);
    assert.deepEqual(await read(forward(m, np.array([[2, 0]]))), [[2.5, 3]]);
    assert.deepEqual(await valueOf(m.kernel), [[1, 2], [3, 4]]);
    forward.dispose();
  });

  it("propagates state updates made inside (BatchStat counts, parameter assignment)", async () => {
    const m = new Counted();
    const step = nnx.jit((net: Counted, xs: jax.Array) => {
      const out = net.call(xs);
      net.linear.bias.value = net.linear.bias.value.add(1); // an in-place parameter update, as a train step makes
      return out;
    });
    for (let i = 1; i <= 3; i++) {
      step(m, np.array([[1, 1]])).dispose();
      assert.equal(await valueOf(m.counter.calls), i);
    }
    assert.deepEqual(await valueOf(m.linear.bias), [3.5, 2]);
    assert.deepEqual(await valueOf(m.linear.kernel), [[1, 2], [3, 4]], "untouched Variables keep their value");
    step.dispose();
  });

  it("advances Rng counts inside jit as outside", async () => {
    const inside = new nnx.Rngs({ dropout: 1 });
    const draw = nnx.jit((rngs: nnx.Rngs) => rngs.dropout());
    const a = await read(draw(inside));
    const b = await read(draw(inside));
    const outside = new nnx.Rngs({ dropout: 1 });
    assert.deepEqual(a, await read(outside.dropout()));
    assert.deepEqual(b, await read(outside.dropout()));
    assert.equal(await valueOf(inside.dropout.count), 2);
    draw.dispose();
  });

  it("retraces for a changed graph (model surgery) and static arguments", async () => {
    class Maybe extends nnx.Module {
      kernel = new nnx.Param(np.array([2]));
      bias?: nnx.Param;
      call(xs: jax.Array, scale: number) {
        const out = xs.mul(this.kernel.value).mul(scale);
        return this.bias ? out.add(this.bias.value) : out;
      }
    }
    const m = new Maybe();
    const f = nnx.jit((model: Maybe, xs: jax.Array, scale: number) => model.call(xs, scale));
    assert.deepEqual(await read(f(m, np.array([3]), 1)), [6]);
    assert.deepEqual(await read(f(m, np.array([3]), 10)), [60]);
    m.bias = new nnx.Param(np.array([1]));
    assert.deepEqual(await read(f(m, np.array([3]), 1)), [7]);
    f.dispose();
  });
});
