/**
 * Restores are typed by their templates, Composite ones item by item. The
 * type assertions here are checked by `tsc` (npm test builds first): if a
 * restore's type regresses to `unknown` or `any`, this file stops compiling.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import * as ocp from "../../src/ocp/index.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { scratchDir } from "./scratch.js";
import { Notebook } from "../kernel/exec/helpers.js";

const np = jax.numpy;
const { StandardSave, StandardRestore, Composite, JsonSave, JsonRestore } = ocp.args;

/** Compiles only when X and Y are the same type (not merely assignable either way). */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
const expectType = <X, Y>(ok: Equal<X, Y>): void => assert.equal(ok, true);

describe("ocp: restores typed by their templates", () => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("restore-types")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("types a Composite restore of a manager item by item (model State, plain tree, JSON)", async () => {
    const model = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });
    const counts = { step: np.array(new Int32Array([7])), scale: 2 };
    const mngr = new ocp.CheckpointManager(dir, { enableAsyncCheckpointing: false });
    await mngr.save(1, { args: Composite({ model: StandardSave(nnx.state(model)), counts: StandardSave(counts), meta: JsonSave({ lr: 0.1 }) }) });

    const abstractModel = nnx.state(nnx.evalShape(() => new nnx.Linear(2, 3, { rngs: new nnx.Rngs(1) })));
    const abstractCounts = { step: new ShapeDtypeStruct([1], jax.DType.Int32), scale: 0 };
    const both = await mngr.restore(1, {
      args: Composite({ model: StandardRestore(abstractModel), counts: StandardRestore(abstractCounts), meta: JsonRestore() }),
    });
    expectType<typeof both, { model: nnx.State; counts: { step: jax.Array; scale: number }; meta: unknown }>(true);
    // @ts-expect-error: only the items asked for are there
    void both.optimizer;

    const restored = nnx.merge<nnx.Linear>(nnx.graphdef(model), both.model);
    assert.deepEqual(await restored.kernel.value.data(), await model.kernel.value.data());
    assert.deepEqual(Array.from(await both.counts.step.data()), [7]);
    assert.equal(both.counts.scale, 2);
    assert.deepEqual(both.meta, { lr: 0.1 });
  });

  it("types single-item restores of the manager and the StandardCheckpointer by the template", async () => {
    const tree = { w: np.array(new Float32Array([1, 2])), note: "kept" };
    const mngr = new ocp.CheckpointManager(dir, { enableAsyncCheckpointing: false });
    await mngr.save(2, { args: StandardSave(tree) });
    const one = await mngr.restore(2, { args: StandardRestore({ w: new ShapeDtypeStruct([2], jax.DType.Float32), note: "" }) });
    expectType<typeof one, { w: jax.Array; note: string }>(true);
    assert.deepEqual(Array.from(await one.w.data()), [1, 2]);

    const checkpointer = new ocp.StandardCheckpointer();
    await checkpointer.save(`${dir}/plain`, { w: np.array(new Float32Array([3, 4])) });
    await checkpointer.waitUntilFinished();
    const plain = await checkpointer.restore(`${dir}/plain`, { w: new ShapeDtypeStruct([2], jax.DType.Float32) });
    expectType<typeof plain, { w: jax.Array }>(true);
    assert.deepEqual(Array.from(await plain.w.data()), [3, 4]);
  });

  it("type-checks `both.model` of a Composite restore in a notebook cell", async function () {
    this.timeout(120_000);
    const nb = await Notebook.open(dir);
    try {
      await nb.value(`const model = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });
const optimizer = new nnx.Optimizer(model, optax.adam(1e-3), { wrt: nnx.Param });
const mngr = new ocp.CheckpointManager(${JSON.stringify(dir)}, { enableAsyncCheckpointing: false });
await mngr.save(1, { args: ocp.args.Composite({ model: ocp.args.StandardSave(nnx.state(model)), optimizer: ocp.args.StandardSave(nnx.state(optimizer)) }) });`);
      // Type checking is on: a restore typed unknown would make `both.model` a type error.
      await nb.value(`const [graphdef, abstractState] = nnx.split(nnx.evalShape(() => new nnx.Linear(2, 3, { rngs: new nnx.Rngs(1) })));
const both = await mngr.restore(1, { args: ocp.args.Composite({ model: ocp.args.StandardRestore(abstractState), optimizer: ocp.args.StandardRestore(nnx.state(optimizer)) }) });
const restored = nnx.merge<nnx.Linear>(graphdef, both.model);
const optimizerState: nnx.State = both.optimizer;`);
      assert.equal(await nb.value("JSON.stringify(Array.from(await restored.kernel.value.data())) === JSON.stringify(Array.from(await model.kernel.value.data()))"), "true");
      const error = await nb.error("both.params");
      assert.equal(error.ename, "TSError");
      assert.match(error.evalue, /Property 'params' does not exist/);
    } finally {
      nb.executor.dispose();
    }
  });
});
