/** %diff and its renderer: numbers worked out by hand, names escaped. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { diffBundle, diffLeaves, diffSummary } from "../../../src/display/diff.js";
import { Notebook } from "../exec/helpers.js";

describe("display/diff: leaf by leaf", () => {
  const a = [
    { path: "w", shape: [3], dtype: "float32", values: [1, 2, 2] },
    { path: "b", shape: [2], dtype: "float32", values: [0, 0] },
    { path: "gone", shape: [1], dtype: "float32", values: [1] },
    { path: "reshaped", shape: [2], dtype: "float32", values: [1, 1] },
  ];
  const b = [
    { path: "w", shape: [3], dtype: "float32", values: [1, 0, 2] },
    { path: "b", shape: [2], dtype: "float32", values: [0, 0] },
    { path: "reshaped", shape: [1, 2], dtype: "float32", values: [1, 1] },
    { path: "new", shape: [], dtype: "float32", values: [5] },
  ];

  it("max abs difference and ‖b − a‖ / ‖a‖ per leaf", () => {
    const diffs = diffLeaves(a, b);
    // w: b − a = [0, −2, 0]: max 2; ‖b − a‖ = 2, ‖a‖ = √(1 + 4 + 4) = 3.
    assert.deepEqual(diffs[0], { path: "w", status: "changed", shape: [3], dtype: "float32", maxAbsDiff: 2, relativeChange: 2 / 3 });
    assert.deepEqual(diffs[1], { path: "b", status: "unchanged", shape: [2], dtype: "float32", maxAbsDiff: 0, relativeChange: 0 });
    assert.deepEqual(diffs[2], { path: "gone", status: "only-a", shape: [1], dtype: "float32" });
    assert.deepEqual(diffs[3], { path: "reshaped", status: "shape-differs", shapeA: [2], shapeB: [1, 2] });
    assert.deepEqual(diffs[4], { path: "new", status: "only-b", shape: [], dtype: "float32" });
  });

  it("a zero leaf that changes has an infinite relative change; NaN on one side is a change", () => {
    const [zero] = diffLeaves([{ path: "z", shape: [1], dtype: "float32", values: [0] }], [{ path: "z", shape: [1], dtype: "float32", values: [0.5] }]);
    assert.equal(zero!.status === "changed" && zero.relativeChange, Infinity);
    const [nan] = diffLeaves([{ path: "n", shape: [2], dtype: "float32", values: [1, NaN] }], [{ path: "n", shape: [2], dtype: "float32", values: [1, 2] }]);
    assert.equal(nan!.status, "changed");
    const [bothNaN] = diffLeaves([{ path: "n", shape: [1], dtype: "float32", values: [NaN] }], [{ path: "n", shape: [1], dtype: "float32", values: [NaN] }]);
    assert.equal(bothNaN!.status, "unchanged");
  });

  it("a summary line first, then the table; HTML escapes names", () => {
    const diffs = diffLeaves(a, b);
    assert.equal(diffSummary(diffs, { a: "step 1", b: "step 2" }), "step 1 → step 2: 1 of 2 leaves changed (max abs diff 2); 1 with different shapes; 1 only in step 1; 1 only in step 2");
    const evil = diffBundle(diffLeaves([{ path: `<script>"x'`, shape: [1], dtype: "float32", values: [1] }], []), { a: "<b>", b: "step 2" });
    assert.ok(!evil["text/html"].includes("<script>") && !evil["text/html"].includes("<b>"));
    assert.ok(evil["text/html"].includes("&lt;script&gt;&quot;x&#39;"));
    const plain = diffBundle(diffs, { a: "A", b: "B" })["text/plain"].split("\n");
    assert.equal(plain[0], diffSummary(diffs, { a: "A", b: "B" }));
    assert.match(plain[2]!, /^w\s+changed\s+\[3\] float32\s+2\s+0\.6667$/);
  });
});

describe("magics: %diff", () => {
  let dir: string;
  let nb: Notebook;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-diff-"));
    nb = await Notebook.open(dir);
    await nb.value("const model = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });\nmodel.kernel.value = np.full([2, 3], 1);\nmodel.bias!.value = np.array([1, 2, 2]);");
    await nb.value("%save model");
    await nb.value("model.kernel.value = np.full([2, 3], 3);");
    await nb.value("%save model");
  });
  after(() => {
    nb.executor.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const diffText = async (code: string) => {
    const { io, outcome } = await nb.run(code);
    assert.equal(outcome.status, "ok", JSON.stringify(outcome));
    return String(io.displays()[0]!.data["text/plain"]);
  };

  it("two steps: the kernel went from 1 to 3 everywhere (max 2, ‖2·1‖/‖1‖ = 2), the bias stayed", async () => {
    const lines = (await diffText("%diff 0 1")).split("\n");
    assert.equal(lines[0], "step 0 → step 1: 1 of 2 leaves changed (max abs diff 2)");
    assert.match(lines.find((l) => l.startsWith("kernel"))!, /^kernel\.value\s+changed\s+\[2, 3\] float32\s+2\s+2$/);
    assert.match(lines.find((l) => l.startsWith("bias"))!, /^bias\.value\s+unchanged\s+\[3\] float32\s+0\s+0$/);
  });

  it("a live model against a step, leaving the model's arrays alive", async () => {
    await nb.value("model.bias!.value = np.array([1, 0, 2]);");
    const text = await diffText("%diff model 1");
    // bias [1, 0, 2] → [1, 2, 2]: max 2; ‖(0, 2, 0)‖ / ‖(1, 0, 2)‖ = 2 / √5.
    assert.match(text.split("\n")[0]!, /^live Linear → step 1: 1 of 2 leaves changed \(max abs diff 2\)$/);
    assert.match(text, new RegExp(`bias\\.value\\s+changed\\s+\\[3\\] float32\\s+2\\s+${(2 / Math.sqrt(5)).toPrecision(4)}`));
    assert.equal(await nb.value("(model.kernel.raw as jax.Array).refCount"), "1");
  });

  it("refuses a missing step, naming the steps there are", async () => {
    assert.match((await nb.error("%diff 0 9")).evalue, /step 9 is not in .*; steps: \[0, 1\]/);
  });
});
