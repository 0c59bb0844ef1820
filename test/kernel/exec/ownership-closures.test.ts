import assert from "node:assert/strict";
import { runtime } from "../../helpers/devices.js";
import { liveBuffers } from "../../helpers/live-buffers.js";
import { Notebook } from "./helpers.js";

/**
 * The notebook ownership rule reaches every function a cell defines
 * (src/kernel/exec/scope.ts): a closure over notebook arrays never consumes
 * them, while a function's own locals keep jax-js's move semantics.
 */
describe("kernel exec: notebook arrays in functions, methods and closures", function () {
  this.timeout(600_000);
  let nb: Notebook;
  before(async () => {
    liveBuffers(runtime.device); // count every buffer the notebook makes
    nb = await Notebook.open();
    // The Flax docs' regression setup: y = sum of x's columns, learned by a small MLP.
    await nb.value(`class MLP extends nnx.Module {
  linear1: nnx.Linear;
  linear2: nnx.Linear;
  constructor(din: number, dhidden: number, dout: number, { rngs }: { rngs: nnx.Rngs }) {
    super();
    this.linear1 = new nnx.Linear(din, dhidden, { rngs });
    this.linear2 = new nnx.Linear(dhidden, dout, { rngs });
  }
  call(x: jax.Array): jax.Array {
    return this.linear2.call(jax.nn.relu(this.linear1.call(x)));
  }
}
const x = random.normal(random.key(1), [32, 2]);
const y = np.sum(x, 1, { keepdims: true });
const lossFn = (model: MLP) => np.mean(np.square(np.subtract(model.call(x), y)));`);
  });
  after(() => nb.executor.dispose());

  const newModel = `const model = new MLP(2, 16, 1, { rngs: new nnx.Rngs(0) });
const optimizer = new nnx.Optimizer(model, optax.adam(5e-2), { wrt: nnx.Param });`;
  const numbers = async (code: string) => JSON.parse((await nb.value(`JSON.stringify(${code})`))!.slice(1, -1)) as number[];

  it("runs the Flax docs' training loop with a loss closure over notebook arrays", async () => {
    await nb.value(newModel);
    const xBefore = await numbers("await x.ref.jsAsync()");
    // The loss of the untrained model, computed at the top level (the rule that held before closures).
    const [initial] = await numbers("[(await np.mean(np.square(np.subtract(model.call(x), y))).data())[0]]");
    const losses = await numbers(`await (async () => {
  const losses: number[] = [];
  for (let step = 0; step < 100; step++) {
    const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
    optimizer.update(model, grads);
    losses.push((await loss.data())[0]!);
  }
  return losses;
})()`);
    assert.equal(losses.length, 100);
    assert.equal(losses[0], initial, "the closure's first loss is the top-level one");
    assert.ok(losses[99]! < losses[0]! / 10, `the loss fell from ${losses[0]} to ${losses[99]}`);
    assert.equal(await nb.value("x.refCount"), "1");
    assert.equal(await nb.value("y.refCount"), "1");
    assert.deepEqual(await numbers("await x.ref.jsAsync()"), xBefore);
  });

  it("keeps live buffers flat over 1,000 training steps through a closure", async () => {
    await nb.value(newModel);
    // Reading each loss, as a training loop that logs does, also keeps jax-js's queue of pending work short.
    const steps = (count: number) => `for (let step = 0; step < ${count}; step++) {
  const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
  optimizer.update(model, grads);
  await loss.data();
}`;
    await nb.value(steps(10)); // the optimizer's state exists from the first step on
    const counts: number[] = [];
    for (let round = 0; round < 4; round++) {
      await nb.value(steps(250));
      counts.push(liveBuffers(runtime.device));
    }
    assert.ok(counts.every((n) => n === counts[0]), `live buffers after every 250 steps: ${counts.join(", ")}`);
    assert.equal(await nb.value("x.refCount"), "1");
  });

  it("lends closed-over arrays to nnx.jit, whose compiled program keeps one reference until it is disposed", async () => {
    await nb.value(newModel);
    await nb.value(`const trainStep = nnx.jit((m: MLP, opt: nnx.Optimizer) => {
  const [loss, grads] = nnx.valueAndGrad(lossFn)(m);
  opt.update(m, grads);
  return loss;
});`);
    const losses = await numbers(`await (async () => {
  const losses: number[] = [];
  for (let step = 0; step < 100; step++) losses.push((await trainStep(model, optimizer).data())[0]!);
  return losses;
})()`);
    assert.ok(losses[99]! < losses[0]! / 10, `the loss fell from ${losses[0]} to ${losses[99]}`);
    // JAX bakes closed-over arrays into the traced program as constants; so does jax-js's jit.
    assert.equal(await nb.value("x.refCount"), "2");
    await nb.value("trainStep.dispose();");
    assert.equal(await nb.value("x.refCount"), "1");
  });

  it("lends notebook arrays to nested functions, methods, getters, field initializers, callbacks and defaults", async () => {
    await nb.value(`const base = np.array([1, 2, 3]);
function outer() {
  function inner() { return np.add(base, base); }
  return inner();
}
class Scaler {
  offset = base;
  scale(a: jax.Array) { return np.multiply(a, base); }
  get doubled() { return np.add(base, base); }
  shifted() { return np.add(this.offset, base); }
}
const withDefault = (a: jax.Array = base) => np.multiply(a, 10);`);
    const read = (code: string) => numbers(`await (${code}).jsAsync()`);
    assert.deepEqual(await read("outer()"), [2, 4, 6]);
    assert.deepEqual(await read("outer()"), [2, 4, 6]);
    await nb.value("const scaler = new Scaler();");
    assert.deepEqual(await read("scaler.scale(np.array([2, 2, 2]))"), [2, 4, 6]);
    assert.deepEqual(await read("scaler.doubled"), [2, 4, 6]);
    assert.deepEqual(await read("scaler.shifted()"), [2, 4, 6]);
    assert.deepEqual(await read("withDefault()"), [10, 20, 30]);
    assert.deepEqual(await numbers("await Promise.all([1, 2].map((k) => np.multiply(base, k).jsAsync()))"), [[1, 2, 3], [2, 4, 6]]);
    assert.deepEqual(await read("jax.tree.map((leaf: jax.Array) => np.add(leaf, base), [np.array([1, 1, 1])])[0]"), [2, 3, 4]);
    // base, and the scaler's field, which consumed its own reference in shifted(): only base is left.
    assert.equal(await nb.value("base.refCount"), "1");
  });

  it("hands a returned notebook array over as a new reference, which the caller owns", async () => {
    await nb.value("const source = np.array([5, 6]);\nconst getSource = () => source;\nconst got = getSource();");
    assert.equal(await nb.value("source.refCount"), "2"); // source and got
    await nb.value("const got = 0;");
    assert.equal(await nb.value("source.refCount"), "1");
    assert.equal(await nb.value("getSource()"), "Array([5, 6], dtype=float32)"); // shown, then released
    assert.equal(await nb.value("source.refCount"), "1");
  });

  it("keeps jax-js's move semantics for locals named like a notebook array", async () => {
    await nb.value("const shadowed = np.array([1, 2]);");
    const freed = /Referenced tracer Array:(float32|int32)\[2\] freed/;
    const cases = [
      "((shadowed: jax.Array) => np.add(shadowed, shadowed))(np.ones([2]))",
      "(({ shadowed }: { shadowed: jax.Array }) => np.add(shadowed, shadowed))({ shadowed: np.ones([2]) })",
      "(() => { const shadowed = np.ones([2]); return np.add(shadowed, shadowed); })()",
      "(() => { if (Math.random() < 2) { var shadowed = np.ones([2]); } return np.add(shadowed!, shadowed!); })()",
      "(() => { for (const shadowed of [np.ones([2])]) np.add(shadowed, shadowed); })()",
      "(() => { try { throw np.ones([2]); } catch (shadowed) { return np.add(shadowed as jax.Array, shadowed as jax.Array); } })()",
      "((shadowed: jax.Array) => () => np.add(shadowed, shadowed))(np.ones([2]))()",
      "{ const shadowed = np.ones([2]); np.add(shadowed, shadowed); }",
      "new (class { run() { const [shadowed] = [np.ones([2])]; return np.add(shadowed, shadowed); } })().run()",
    ];
    for (const code of cases) {
      const error = await nb.error(code);
      assert.match(error.evalue, freed, code);
    }
    assert.equal(await nb.value("shadowed.refCount"), "1");
    assert.equal(await nb.value("await shadowed.ref.jsAsync()"), "[ 1, 2 ]");
  });

  it("reads a notebook array without a reference where nothing is handed over", async () => {
    await nb.value("const probe = np.ones([3, 4]);");
    assert.equal(await nb.value("(() => { const { shape } = probe; return probe.shape[0]! + shape[1]! + probe.ndim; })()"), "9");
    assert.equal(await nb.value("(() => { console.log(probe.dtype); display(probe); return probe.size; })()"), "12");
    assert.equal(await nb.value("probe.refCount"), "1");
  });
});
