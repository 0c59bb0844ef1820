import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import * as ocp from "../../src/ocp/index.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;
const { StandardSave, StandardRestore, Composite, JsonSave, JsonRestore, PyTreeSave, PyTreeRestore } = ocp.args;

const tree = (step: number) => ({ w: np.array(new Float32Array([step, step + 0.5])), n: step });
const listDir = (dir: string) => fs.readdirSync(dir).sort();

describe("ocp.CheckpointManager", () => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("mgr")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("saves steps in Orbax's layout, lists them, and restores the latest or a given step", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    assert.equal(mngr.latestStep(), undefined);
    for (const step of [0, 1, 2]) assert.equal(await mngr.save(step, { args: StandardSave(tree(step)), metrics: { loss: 1 / (step + 1) } }), true);
    await mngr.waitUntilFinished();
    assert.deepEqual(mngr.allSteps(), [0, 1, 2]);
    assert.deepEqual(listDir(dir), ["0", "1", "2"]);
    assert.deepEqual(listDir(path.join(dir, "2")), ["_CHECKPOINT_METADATA", "commit_success.txt", "default", "metrics", "tsnnx_record.json"]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "2", "metrics", "metrics"), "utf8")), { loss: 1 / 3 });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "2", "_CHECKPOINT_METADATA"), "utf8"));
    assert.deepEqual(Object.keys(meta.item_handlers).sort(), ["default", "metrics"]);
    const latest = (await mngr.restore()) as { w: jax.Array; n: number };
    assert.deepEqual(Array.from(await latest.w.data()), [2, 2.5]);
    assert.equal(latest.n, 2);
    const first = (await mngr.restore(0, { args: StandardRestore({ w: new ShapeDtypeStruct([2], jax.DType.Float32), n: 0 }) })) as { w: jax.Array };
    assert.deepEqual(Array.from(await first.w.data()), [0, 0.5]);
    assert.deepEqual(mngr.metrics(1), { loss: 0.5 });
    await mngr.close();

    // A new manager finds the steps synchronously, with their metrics and records.
    const again = new ocp.CheckpointManager(dir);
    assert.deepEqual(again.allSteps(), [0, 1, 2]);
    const summary = again.stepSummaries()[2];
    assert.equal(summary.step, 2);
    assert.deepEqual(summary.metrics, { loss: 1 / 3 });
    assert.ok((summary.bytesWritten ?? 0) >= 8 && (summary.totalSeconds ?? -1) >= (summary.blockingSeconds ?? Infinity));
    const items = await again.itemMetadata(2);
    assert.deepEqual(Object.keys(items), ["default"]);
  });

  it("maxToKeep deletes the oldest steps after the new step commits", async () => {
    const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 2 });
    for (const step of [1, 2, 3, 4]) await mngr.save(step, { args: StandardSave(tree(step)) });
    await mngr.waitUntilFinished();
    assert.deepEqual(mngr.allSteps(), [3, 4]);
    assert.deepEqual(listDir(dir), ["3", "4"]);
  });

  it("bestFn/bestMode keep the best steps and bestStep() names the best", async () => {
    const loss: Record<number, number> = { 1: 0.9, 2: 0.2, 3: 0.5, 4: 0.7 };
    const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 2, bestFn: (m) => m.loss as number, bestMode: "min" });
    for (const step of [1, 2, 3, 4]) await mngr.save(step, { args: StandardSave(tree(step)), metrics: { loss: loss[step] } });
    await mngr.waitUntilFinished();
    assert.deepEqual(mngr.allSteps(), [2, 3]);
    assert.equal(mngr.bestStep(), 2);
    assert.equal(mngr.latestStep(), 3);
    assert.deepEqual(mngr.stepSummaries().map((s) => s.best), [true, false]);
    assert.deepEqual(mngr.stepSummaries().map((s) => s.keptBy), [["best"], ["best"]]);
    // One step's summary is that step's entry of the full list; a step not kept has none.
    assert.deepEqual(mngr.stepSummary(3), mngr.stepSummaries()[1]);
    assert.equal(mngr.stepSummary(1), undefined);
  });

  it("keepPeriod keeps multiples forever; todeleteSubdir moves deleted steps aside", async () => {
    const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 1, keepPeriod: 2, todeleteSubdir: "trash" });
    for (const step of [1, 2, 3, 4, 5]) await mngr.save(step, { args: StandardSave(tree(step)) });
    await mngr.waitUntilFinished();
    assert.deepEqual(mngr.allSteps(), [2, 4, 5]);
    assert.deepEqual(listDir(path.join(dir, "trash")), ["1", "3"]);
  });

  it("saveIntervalSteps/saveOnSteps decline other steps (save resolves false) unless forced", async () => {
    const mngr = new ocp.CheckpointManager(dir, { saveIntervalSteps: 5, saveOnSteps: [7] });
    const saved: number[] = [];
    for (let step = 0; step <= 11; step++) if (await mngr.save(step, { args: StandardSave(tree(step)) })) saved.push(step);
    assert.deepEqual(saved, [0, 5, 7, 10]);
    assert.equal(mngr.shouldSave(15), true);
    assert.equal(mngr.shouldSave(12), false);
    assert.equal(await mngr.save(12, { args: StandardSave(tree(12)), force: true }), true);
    await mngr.waitUntilFinished();
    assert.deepEqual(mngr.allSteps(), [0, 5, 7, 10, 12]);
  });

  it("stepPrefix and stepFormatFixedLength name the folders", async () => {
    const mngr = new ocp.CheckpointManager(dir, { stepPrefix: "ckpt", stepFormatFixedLength: 3 });
    await mngr.save(7, { args: StandardSave(tree(7)) });
    await mngr.waitUntilFinished();
    assert.deepEqual(listDir(dir), ["ckpt_007"]);
    assert.deepEqual(new ocp.CheckpointManager(dir, { stepPrefix: "ckpt", stepFormatFixedLength: 3 }).allSteps(), [7]);
  });

  it("Composite of params + optimizer state + JSON round-trips, keyed by item name", async () => {
    const params = { linear: { kernel: np.array(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] }) } };
    const optState = [{ count: np.array(new Int32Array([3])), mu: { linear: { kernel: np.array(new Float32Array([0.1, 0.2, 0.3, 0.4]), { shape: [2, 2] }) } } }];
    const mngr = new ocp.CheckpointManager(dir, { enableAsyncCheckpointing: false });
    await mngr.save(3, { args: Composite({ params: StandardSave(params), opt: PyTreeSave(optState), config: JsonSave({ lr: 0.01, layers: [2, 2] }) }) });
    assert.deepEqual(listDir(path.join(dir, "3")), ["_CHECKPOINT_METADATA", "commit_success.txt", "config", "opt", "params", "tsnnx_record.json"]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "3", "config", "metadata"), "utf8")), { lr: 0.01, layers: [2, 2] });
    const out = (await mngr.restore(3, {
      args: Composite({ params: StandardRestore(), opt: PyTreeRestore(), config: JsonRestore() }),
    })) as { params: typeof params; opt: typeof optState; config: unknown };
    assert.deepEqual(Array.from(await out.params.linear.kernel.data()), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(await out.opt[0].count.data()), [3]);
    assert.deepEqual(Array.from(await out.opt[0].mu.linear.kernel.data()), [0.1, 0.2, 0.3, 0.4].map(Math.fround));
    assert.deepEqual(out.config, { lr: 0.01, layers: [2, 2] });
    const all = (await mngr.restore(3)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(all).sort(), ["config", "opt", "params"]);
    await assert.rejects(mngr.restore(3, { args: Composite({ nope: StandardRestore() }) }), /Item "nope" was not found. Available items: \[config, opt, params\]/);
  });

  it("refuses to save an existing step (StepAlreadyExistsError naming force) and replaces it with force", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(1, { args: StandardSave(tree(1)) });
    await assert.rejects(mngr.save(1, { args: StandardSave(tree(9)) }), (e: Error) => e instanceof ocp.StepAlreadyExistsError && /Step 1 already exists in .*force: true/.test(e.message));
    await mngr.save(1, { args: StandardSave(tree(9)), force: true });
    const out = (await mngr.restore(1)) as { n: number };
    assert.equal(out.n, 9);
    assert.deepEqual(listDir(dir), ["1"]);
  });

  it("delete() and reload() see the directory as it is", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    for (const step of [1, 2]) await mngr.save(step, { args: StandardSave(tree(step)) });
    await mngr.delete(1);
    assert.deepEqual(mngr.allSteps(), [2]);
    assert.deepEqual(listDir(dir), ["2"]);
    fs.cpSync(path.join(dir, "2"), path.join(dir, "8"), { recursive: true });
    mngr.reload();
    assert.deepEqual(mngr.allSteps(), [2, 8]);
  });

  it("surfaces a background write failure at the next save/waitUntilFinished, and drops the failed step", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    // The manager's folder replaced by a file: the background write cannot create the step.
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, "in the way");
    try {
      assert.equal(await mngr.save(5, { args: StandardSave(tree(5)) }), true);
      await assert.rejects(mngr.waitUntilFinished(), /Saving step 5 in .* failed/);
    } finally {
      fs.rmSync(dir);
      fs.mkdirSync(dir);
    }
    assert.deepEqual(mngr.allSteps(), []);
    await mngr.waitUntilFinished(); // reported once, then clear
  });

  it("a forced save that fails leaves the step it was replacing in place", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(1, { args: StandardSave(tree(1)) });
    await mngr.waitUntilFinished();
    // Point step 1's folder under a file for this save only: its write fails after staging.
    fs.writeFileSync(path.join(dir, "blocker"), "");
    const stepPath = mngr.stepPath.bind(mngr);
    mngr.stepPath = (s: number) => path.join(dir, "blocker", String(s));
    await mngr.save(1, { args: StandardSave(tree(9)), force: true });
    await assert.rejects(mngr.waitUntilFinished(), /Saving step 1 in .* failed/);
    mngr.stepPath = stepPath;
    assert.deepEqual(mngr.allSteps(), [1]);
    assert.equal(((await mngr.restore(1)) as { n: number }).n, 1);
  });
});

describe("ocp.CheckpointManager bad input", () => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("mgr-bad")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names the path when the directory is a file or missing (read-only)", () => {
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "x");
    assert.throws(() => new ocp.CheckpointManager(file), /CheckpointManager: .*file is a file, not a checkpoint folder/);
    const missing = new ocp.CheckpointManager(path.join(dir, "missing"), { readOnly: true });
    assert.deepEqual(missing.allSteps(), []);
    assert.equal(fs.existsSync(path.join(dir, "missing")), false);
  });

  it("create: false leaves a missing directory alone and says so on save", async () => {
    const missing = path.join(dir, "missing");
    const mngr = new ocp.CheckpointManager(missing, { create: false });
    assert.equal(fs.existsSync(missing), false);
    await assert.rejects(mngr.save(0, { args: StandardSave({ a: 1 }) }), /missing does not exist and the manager was built with create: false/);
  });

  it("rejects negative maxToKeep, unknown options, non-integer steps and saves on a read-only manager", async () => {
    assert.throws(() => new ocp.CheckpointManager(dir, { maxToKeep: -1 }), /maxToKeep must be an integer >= 0, got -1/);
    assert.throws(() => new ocp.CheckpointManager(dir, { max_to_keep: 3 } as never), /Unknown CheckpointManager option "max_to_keep"/);
    const mngr = new ocp.CheckpointManager(dir);
    await assert.rejects(mngr.save(1.5, { args: StandardSave({ a: 1 }) }), /step must be a non-negative integer, got 1.5/);
    await mngr.save(1, { args: StandardSave({ a: 1 }) });
    await mngr.waitUntilFinished();
    const ro = new ocp.CheckpointManager(dir, { readOnly: true });
    await assert.rejects(ro.save(2, { args: StandardSave({ a: 2 }) }), /read-only/);
    await assert.rejects(ro.delete(1), /read-only/);
    assert.deepEqual(listDir(dir), ["1"]);
  });

  it("corrupted metadata JSON: restore names the file; the step itself is left alone", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(1, { args: StandardSave({ a: np.array(new Float32Array([1])) }), metrics: { loss: 1 } });
    await mngr.waitUntilFinished();
    fs.writeFileSync(path.join(dir, "1", "default", "_METADATA"), "{not json");
    fs.writeFileSync(path.join(dir, "1", "metrics", "metrics"), "[1, 2");
    const again = new ocp.CheckpointManager(dir, { maxToKeep: 1 });
    assert.deepEqual(again.allSteps(), [1]);
    await assert.rejects(again.restore(1), /_METADATA/);
    assert.throws(() => again.metrics(1), /metrics.* is not valid JSON/);
    assert.ok(fs.existsSync(path.join(dir, "1", "default")));
  });

  it("removes stale temporary folders at start-up (default) and never lists them", () => {
    fs.mkdirSync(path.join(dir, "3.orbax-checkpoint-tmp"));
    fs.mkdirSync(path.join(dir, "4.orbax-checkpoint-tmp-1717"));
    fs.mkdirSync(path.join(dir, "2"));
    const kept = new ocp.CheckpointManager(dir, { cleanupTmpDirectories: false });
    assert.deepEqual(kept.allSteps(), [2]);
    assert.equal(listDir(dir).length, 3);
    new ocp.CheckpointManager(dir);
    assert.deepEqual(listDir(dir), ["2"]);
  });

  it("restore of a missing step lists the steps there are", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    await assert.rejects(mngr.restore(), /there are no checkpoints in/);
    await mngr.save(4, { args: StandardSave({ a: 1 }) });
    await assert.rejects(mngr.restore(5), /step 5 was not found in .*Available steps: \[4\]/);
  });
});
