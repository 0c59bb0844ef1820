import assert from "node:assert/strict";
import fs from "node:fs";
import { CellRecorder } from "../../../src/kernel/notebook-cli/cell-recorder.js";
import { scratchDir } from "../../ocp/scratch.js";
import { Notebook } from "./helpers.js";

describe("kernel exec: progress bars and values shown as several outputs", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb.executor.dispose());

  it("a cell's progress loop is one output, updated in place under one display id, ending at 100%", async () => {
    const { outcome, io } = await nb.run(
      [
        "let total = 0;",
        "for (const i of progress([1, 2, 3, 4], { desc: '<b>sum</b>' })) {",
        "  total += i;",
        "  const until = performance.now() + 120;",
        "  while (performance.now() < until);", // each item takes 120 ms: the bar redraws between items
        "}",
        "total",
      ].join("\n"),
    );
    assert.equal(outcome.status, "ok");
    assert.deepEqual(outcome.status === "ok" && outcome.result?.data, { "text/plain": "10" });
    const displays = io.displays();
    assert.ok(displays.length >= 3, `${displays.length} outputs`);
    const ids = new Set(displays.map((d) => d.transient.display_id));
    assert.equal(ids.size, 1);
    assert.match([...ids][0]!, /^tsnnx-progress-/);
    assert.deepEqual(displays.map((d) => d.update), [false, ...displays.slice(1).map(() => true)]);
    const last = displays.at(-1)!.data;
    assert.match(last["text/plain"] as string, /^<b>sum<\/b>: 100%\|██████████\| 4\/4 \[00:00<00:00, +[\d.]+it\/s\]$/);
    assert.ok((last["text/html"] as string).includes("&lt;b&gt;sum&lt;/b&gt;"));
    assert.equal(displays[0]!.data["text/plain"], "<b>sum</b>:   0%|          | 0/4 [00:00<?, ?it/s]");

    // What `tsnnx run` saves from these messages: the one output, in its final state.
    // Its log: the first draw at once, then (the loop being quicker than the echo interval) the final one when the cell ends.
    const echoed: string[] = [];
    const recorder = new CellRecorder(new Map(), (text) => echoed.push(text));
    for (const d of displays) recorder.display(d.data, d.metadata, d.transient.display_id, d.update);
    assert.equal(recorder.outputs.length, 1);
    assert.deepEqual(recorder.outputs[0], { output_type: "display_data", data: last, metadata: {} });
    assert.deepEqual(echoed, [`${displays[0]!.data["text/plain"]}\n`]);
    recorder.finish();
    assert.deepEqual(echoed, [`${displays[0]!.data["text/plain"]}\n`, `${last["text/plain"]}\n`]);
  });

  it("an async loop draws into its cell too; two loops get two display ids", async () => {
    const { io } = await nb.run(
      [
        "async function* ticks(n: number) { for (let i = 0; i < n; i++) { await new Promise((r) => setTimeout(r, 5)); yield i; } }",
        "for await (const _ of progress(ticks(3), { total: 3 }));",
        "for await (const _ of progress(ticks(2)));",
      ].join("\n"),
    );
    const ids = [...new Set(io.displays().map((d) => d.transient.display_id))];
    assert.equal(ids.length, 2);
    const lastOf = (id: string | undefined) => io.displays().filter((d) => d.transient.display_id === id).at(-1)!.data["text/plain"] as string;
    assert.match(lastOf(ids[0]), /^100%\|██████████\| 3\/3 /);
    assert.match(lastOf(ids[1]), /^2it \[00:00, +[\d.]+it\/s\]$/);
  });

  it("a display method returning an array shows one output per bundle, by display() and as a cell's value", async () => {
    await nb.value("const two = { [Symbol.for('Jupyter.display')]() { return [{ 'text/plain': 'table' }, { 'text/plain': 'chart' }]; } };");
    const shown = await nb.run("display(two)");
    assert.deepEqual(shown.io.displays().map((d) => d.data), [{ "text/plain": "table" }, { "text/plain": "chart" }]);
    const last = await nb.run("two");
    assert.deepEqual(last.io.displays().map((d) => d.data), [{ "text/plain": "table" }]);
    assert.deepEqual(last.outcome, { status: "ok", result: { data: { "text/plain": "chart" }, metadata: {} } });
    // With a display id, each output gets its own, so an update replaces each with its own bundle.
    const named = await nb.run("display(two, { displayId: 'h' })");
    assert.deepEqual(named.io.displays().map((d) => d.transient.display_id), ["h", "h:1"]);
    const empty = await nb.error("display({ [Symbol.for('Jupyter.display')]: () => [] })");
    assert.match(empty.evalue, /or a non-empty array of them/);
  });

  it("a CheckpointManager shows its history: the table, then the chart as the cell's result", async () => {
    const dir = scratchDir("kernel-history");
    try {
      await nb.value(
        [
          `const mngr = new ocp.CheckpointManager(${JSON.stringify(dir)}, { enableAsyncCheckpointing: false });`,
          "for (const step of [1, 2]) await mngr.save(step, { args: ocp.args.StandardSave({ w: np.array([step, 1]) }), metrics: { loss: 1 / step } });",
        ].join("\n"),
      );
      const { outcome, io } = await nb.run("mngr");
      assert.equal(io.displays().length, 1);
      assert.match(io.displays()[0]!.data["text/plain"] as string, /2 steps, 2 kept/);
      assert.ok(outcome.status === "ok" && outcome.result);
      assert.deepEqual(Object.keys(outcome.result.data).sort(), ["application/vnd.plotly.v1+json", "application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
