import assert from "node:assert/strict";
import { Notebook } from "./helpers.js";

/**
 * jax-js's use-after-free error, told in the notebook's terms
 * (src/kernel/exec/freed-array.ts): the variable, the cell and line, and `.ref`.
 */
describe("kernel exec: errors for arrays used after they were freed", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
    await nb.value("const w = np.ones([2]);");
  });
  after(() => nb.executor.dispose());

  const jaxMessage = / \(jax-js: Referenced tracer Array:float32\[\d\] freed, please use \.ref move semantics\)$/;

  async function failure(code: string): Promise<{ evalue: string; header: string; cell: number }> {
    const error = await nb.error(code);
    assert.equal(error.ename, "UseAfterFreeError");
    assert.match(error.evalue, jaxMessage);
    assert.equal(error.traceback[0], `UseAfterFreeError: ${error.evalue}`);
    return { evalue: error.evalue, header: error.traceback[0]!, cell: nb.executionCount };
  }

  it("names a local passed twice to one call", async () => {
    const { evalue, cell } = await failure("function twice() { const a = np.add(w, 1); return np.add(a, a); }\ntwice()");
    assert.ok(evalue.startsWith(`\`a\` is passed twice to \`np.add(a, a)\` (cell[${cell}], line 1): the first use consumes it`), evalue);
    assert.match(evalue, /Pass `a\.ref` for every use but the last\./);
  });

  it("names a local consumed by an earlier call, with that call's line", async () => {
    const { evalue, cell } = await failure("function earlier() {\n  const a = np.add(w, 1);\n  const h = np.exp(a);\n  return np.multiply(a, h);\n}\nearlier()");
    assert.ok(evalue.startsWith(`\`a\` was consumed by \`np.exp(a)\` on line 3 and is used again by \`np.multiply(a, h)\` (cell[${cell}], line 4). Pass \`a.ref\` to the earlier call`), evalue);
  });

  it("names an array made outside a loop and consumed inside it, not the variable the loop re-binds", async () => {
    const { evalue, cell } = await failure("const total = (() => {\n  const a = np.add(w, 1);\n  let s = np.zeros([2]);\n  for (let i = 0; i < 3; i++) s = np.add(s, a);\n  return s;\n})();");
    assert.ok(evalue.startsWith(`\`a\` is consumed by \`np.add(s, a)\` (cell[${cell}], line 4) in every iteration of a loop`), evalue);
  });

  it("names a parameter whose caller passed a freed array", async () => {
    await nb.value("const addOne = (p: jax.Array) => np.add(p, 1);\nconst q = np.ones([2]);\nq.dispose();");
    const { evalue, cell } = await failure("addOne(q)");
    assert.ok(evalue.startsWith(`\`p\`, a parameter of \`addOne\`, holds an array that was already freed when \`np.add(p, 1)\` (cell[${cell - 1}], line 1) used it`), evalue);
  });

  it("names a notebook binding whose array was disposed", async () => {
    await nb.value("const gone = np.ones([2]);\ngone.dispose();");
    const { evalue, cell } = await failure("np.add(gone, 1)");
    assert.ok(evalue.startsWith(`the notebook's \`gone\` holds an array that was already freed when \`np.add(gone, 1)\` (cell[${cell}], line 1) used it`), evalue);
    assert.match(evalue, /Bind `gone` again\./);
  });

  it("reports where in the cell it happened even when jax-js's own frames come first", async () => {
    // Inside a Linear layer's call, jax-js's stack is deeper than V8's default ten frames.
    await nb.value("const layer = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });");
    const error = await nb.error("{\n  const input = np.ones([4, 2]);\n  layer.call(input);\n  layer.call(input);\n}");
    assert.equal(error.ename, "UseAfterFreeError");
    assert.match(error.evalue, /^`input` was consumed by `layer\.call\(input\)` on line 3 and is used again by `layer\.call\(input\)` \(cell\[\d+\], line 4\)/);
    assert.ok(error.traceback.some((line) => /^ {4}at cell\[\d+\]:4:\d+$/.test(line)), error.traceback.join("\n"));
  });
});
