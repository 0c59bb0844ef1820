/**
 * A cell run again reuses its transformed code, keyed on its text and on
 * which of its identifiers are notebook names at the time.
 */
import assert from "node:assert/strict";
import { Notebook } from "./helpers.js";

describe("kernel exec: cells run again", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb?.executor.dispose());

  it("re-transforms a cell whose identifiers became notebook names (an array read gets its own reference)", async () => {
    const cell = "%typecheck off\nnp.add(w, 1)";
    const before = await nb.error(cell);
    assert.equal(before.ename, "ReferenceError");
    await nb.value("const w = np.ones([2]);");
    // The same text again, twice, now that `w` is a notebook array: it must not be consumed.
    assert.equal(await nb.value(cell), "Array([2, 2], dtype=float32)");
    assert.equal(await nb.value(cell), "Array([2, 2], dtype=float32)");
    assert.equal(await nb.value("await w.jsAsync()"), "[ 1, 1 ]");
  });

  it("reports a re-run cell's errors under its own execution count", async () => {
    const first = await nb.error("throw new RangeError('again');");
    const second = await nb.error("throw new RangeError('again');");
    assert.match(first.traceback.join("\n"), new RegExp(`cell\\[${nb.executionCount - 1}\\]:1:7`));
    assert.match(second.traceback.join("\n"), new RegExp(`cell\\[${nb.executionCount}\\]:1:7`));
  });
});
