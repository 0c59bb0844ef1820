/** %save, %restore, %checkpoints and %checkpoint_dir through a real executor, against the checkpoint folder itself. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CheckpointManager } from "../../../src/ocp/index.js";
import { Notebook } from "../exec/helpers.js";
import { formatRate } from "../../../src/kernel/magics/checkpoints.js";

const MLP = `class MLP extends nnx.Module {
  a: nnx.Linear; b: nnx.Linear;
  constructor(din: number, dout: number, rngs: nnx.Rngs) { super(); this.a = new nnx.Linear(din, 4, { rngs }); this.b = new nnx.Linear(4, dout, { rngs }); }
}
async function weights(m: MLP): Promise<number[]> {
  return [...(await m.a.kernel.value.data()), ...(await m.a.bias!.value.data()), ...(await m.b.kernel.value.data()), ...(await m.b.bias!.value.data())];
}`;

describe("magics: the %save summary's rate", () => {
  it("is in GB/s from 0.1 GB/s up, and in MB/s or kB/s below, never 0.00 GB/s", () => {
    assert.equal(formatRate(2.5e9), "2.50 GB/s");
    assert.equal(formatRate(1e8), "0.10 GB/s");
    assert.equal(formatRate(1e7), "10.00 MB/s");
    assert.equal(formatRate(14165 / 0.02), "0.71 MB/s");
    assert.equal(formatRate(712 / 0.04), "17.80 kB/s");
  });
});

describe("magics: %save and %restore", () => {
  let dir: string;
  let nb: Notebook;
  const steps = () => new CheckpointManager(path.join(dir, "checkpoints"), { readOnly: true }).allSteps();
  const json = async (code: string) => JSON.parse((await nb.value(`JSON.stringify(${code})`))!.slice(1, -1)) as unknown;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-magics-"));
    nb = await Notebook.open(dir);
    await nb.value(`${MLP}\nconst model = new MLP(3, 2, new nnx.Rngs(0));\nconst saved = await weights(model);`);
  });
  afterEach(() => {
    nb.executor.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("saves into ./checkpoints beside the notebook, step latest + 1, with a summary line once committed", async () => {
    const first = await nb.run("%save model");
    assert.equal(first.outcome.status, "ok");
    assert.match(first.io.text(), /^Saved step 0: [\d.]+ (B|KiB|MiB) in [\d.]+ s \([\d.]+ (GB|MB|kB)\/s\) to .*checkpoints\/0\n$/);
    assert.ok(fs.existsSync(path.join(dir, "checkpoints", "0", "_CHECKPOINT_METADATA")), "committed when the summary is printed");
    await nb.value("%save model");
    await nb.value("%save model --step 7");
    await nb.value("%save model");
    assert.deepEqual(steps(), [0, 1, 7, 8]);
    // The bar ends at 100% in the output it updates in place.
    const bars = first.io.displays().filter((d) => d.transient.display_id);
    assert.match(bars.at(-1)!.data["text/plain"] as string, /^Saving step 0: 100%\|█+\|/);
    assert.ok(bars.slice(1).every((d) => d.update && d.transient.display_id === bars[0]!.transient.display_id));
  });

  it("round-trips: %restore in place brings back the saved values", async () => {
    await nb.value("%save model");
    await nb.value("model.a.kernel.value = np.zeros([3, 4]);\nmodel.b.bias!.value = np.full([2], 7);");
    assert.notDeepEqual(await json("await weights(model)"), await json("saved"));
    const { io } = await nb.run("%restore model");
    assert.match(io.text(), /^Restored step 0 from .*checkpoints\/0: 4 arrays \(.*\) in [\d.]+ s\n  restored: a\.bias\.value, a\.kernel\.value, b\.bias\.value, b\.kernel\.value\n/);
    assert.deepEqual(await json("await weights(model)"), await json("saved"));
  });

  it("%restore name = new MLP(...) binds a model equal to the saved one, typed for later cells", async () => {
    await nb.value("%save model");
    await nb.value("%restore other = new MLP(3, 2, new nnx.Rngs(99))");
    assert.deepEqual(await json("await weights(other)"), await json("saved"));
    // Type-checked as MLP in a later cell: a wrong property is a type error.
    assert.match((await nb.error("other.nothere")).evalue, /Property 'nothere' does not exist on type 'MLP'/);
  });

  it("--force replaces an existing step; without it the step is refused and kept", async () => {
    await nb.value("%save model --step 3");
    const refused = await nb.error("%save model --step 3");
    assert.equal(refused.ename, "UsageError");
    assert.match(refused.evalue, /step 3 already exists in .*; add --force to replace it/);
    await nb.value("model.a.kernel.value = np.full([3, 4], 2);");
    await nb.value("%save model --step 3 --force");
    await nb.value("%restore fresh = new MLP(3, 2, new nnx.Rngs(5))");
    assert.deepEqual((await json("Array.from(await fresh.a.kernel.value.data())")) as number[], new Array(12).fill(2));
  });

  it("--step best restores the step with the best metric (%checkpoint_dir --best --mode)", async () => {
    for (const [loss, fill] of [[0.5, 1], [0.1, 2], [0.3, 3]]) {
      await nb.value(`model.a.kernel.value = np.full([3, 4], ${fill});`);
      await nb.value(`%save model --metrics {"loss": ${loss}}`);
    }
    assert.match((await nb.error("%restore model --step best")).evalue, /no metric to rank steps by; set one with %checkpoint_dir/);
    await nb.value("%checkpoint_dir checkpoints --best loss --mode min");
    await nb.value("%restore model --step best");
    assert.deepEqual((await json("Array.from(await model.a.kernel.value.data())")) as number[], new Array(12).fill(2));
    await nb.value("%restore model --step latest");
    assert.deepEqual((await json("Array.from(await model.a.kernel.value.data())")) as number[], new Array(12).fill(3));
    await nb.value("%restore model --step 0");
    assert.deepEqual((await json("Array.from(await model.a.kernel.value.data())")) as number[], new Array(12).fill(1));
  });

  it("saves { model, optimizer } as a Composite of their states and restores both in place", async () => {
    await nb.value("const optimizer = new nnx.Optimizer(model, optax.adam(0.1));");
    await nb.value("%save { model, optimizer }");
    const items = fs.readdirSync(path.join(dir, "checkpoints", "0"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    assert.deepEqual(items, ["model", "optimizer"]);
    await nb.value("model.a.kernel.value = np.zeros([3, 4]);");
    await nb.value("%restore { model, optimizer }");
    assert.deepEqual(await json("await weights(model)"), await json("saved"));
  });

  it("--partial restores what matches and reports what it skipped; --strict passes when nothing needs converting", async () => {
    await nb.value("const full = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(1) });\nconst fullKernel = Array.from(await full.kernel.value.data());");
    await nb.value("%save full --dir lin");
    await nb.value("const noBias = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(2), useBias: false });");
    assert.match((await nb.error("%restore noBias --dir lin")).evalue, /bias/);
    const { io } = await nb.run("%restore noBias --dir lin --partial");
    assert.match(io.text(), /restored: kernel\.value\n  skipped: bias\.value \(/);
    assert.deepEqual(await json("Array.from(await noBias.kernel.value.data())"), await json("fullKernel"));
    assert.match((await nb.run("%restore full --dir lin --strict")).io.text(), /^Restored step 0 /);
  });

  it("saves an Optimizer alone, and a State", async () => {
    await nb.value("const opt = new nnx.Optimizer(model, optax.sgd(0.1));");
    await nb.value("%save opt --dir opt");
    await nb.value("%save nnx.state(model) --dir state");
    await nb.value("%restore opt --dir opt");
    await nb.value("%restore again = new MLP(3, 2, new nnx.Rngs(3)) --dir state");
    assert.deepEqual(await json("await weights(again)"), await json("saved"));
  });

  it("magics inside a loop see its locals: --step {i}, --metrics {expr}", async () => {
    await nb.value("for (let i = 1; i <= 3; i++) {\n  model.b.bias!.value = np.full([2], i);\n  %save model --step {i * 10} --metrics {{ loss: 1 / i }}\n}");
    assert.deepEqual(steps(), [10, 20, 30]);
    const manager = new CheckpointManager(path.join(dir, "checkpoints"), { readOnly: true });
    assert.deepEqual(manager.metrics(20), { loss: 0.5 });
    // An interpolated value is checked when the line runs.
    const bad = await nb.error("for (const s of ['x']) {\n  %save model --step {s}\n}");
    assert.match(bad.evalue, /^%save: --step takes an integer >= 0, got 'x'/);
  });

  it("a cell with a bad magic runs nothing, not even what comes before it", async () => {
    await nb.value("let counter = 0;");
    const error = await nb.error("counter = 1;\n%save model --stpe 3\ncounter = 2;");
    assert.equal(error.ename, "UsageError");
    assert.equal(await nb.value("counter"), "0");
    assert.deepEqual(fs.existsSync(path.join(dir, "checkpoints")) ? steps() : [], []);
  });

  it("refuses what it cannot save or restore, naming it", async () => {
    assert.match((await nb.error("%save 42")).evalue, /^%save: expected a Module, Optimizer, State or an object of them, got a number/);
    assert.match((await nb.error("%save { model, n: 3 }")).evalue, /entry 'n' is a number/);
    assert.match((await nb.error("%restore model")).evalue, /there is no checkpoint folder/);
    await nb.value("%save model");
    assert.match((await nb.error("%restore model --step 9")).evalue, /step 9 is not in .*; steps: \[0\]/);
    assert.match((await nb.error("%restore small = new MLP(2, 2, new nnx.Rngs(0))")).evalue, /a\.kernel\.value: shape \[3, 4\] in the checkpoint, \[2, 4\] in the template/);
  });

  it("%checkpoints lists the steps; %checkpoint_dir moves the folder (relative to the notebook)", async () => {
    await nb.value('%save model --metrics {"loss": 0.25}');
    const listing = (await nb.run("%checkpoints")).io;
    const shown = listing.text() + listing.displays().map((d) => String(d.data["text/plain"])).join("\n");
    assert.match(shown, /\b0\b[\s\S]*loss/);
    await nb.value("%checkpoint_dir runs/b");
    await nb.value("%save model");
    assert.ok(fs.existsSync(path.join(dir, "runs", "b", "0")));
    assert.match((await nb.error("%checkpoints --dir nowhere")).evalue, /there is no checkpoint folder .*nowhere/);
  });
});
