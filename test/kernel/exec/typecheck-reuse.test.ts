/**
 * A cell that checked clean is not checked again while nothing it can see
 * changed (speed); anything that changes what it sees must check it again.
 */
import assert from "node:assert/strict";
import { Notebook } from "./helpers.js";

describe("kernel exec: re-running a type-checked cell", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb?.executor.dispose());

  it("checks again once a name it uses was re-declared with another type", async () => {
    await nb.value("let z = 1;");
    const cell = "const n: number = z;\nn";
    assert.equal(await nb.value(cell), "1");
    assert.equal(await nb.value(cell), "1");
    await nb.value(`let z = "text";`);
    const error = await nb.error(cell);
    assert.match(error.evalue, /TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it("checks again after a cell changed the globals (declare global)", async () => {
    await nb.value("declare global { interface Shape2 { a: number } }");
    const cell = "const s: Shape2 = { a: 1 };\ns.a";
    assert.equal(await nb.value(cell), "1");
    assert.equal(await nb.value(cell), "1");
    await nb.value("declare global { interface Shape2 { b: string } }");
    const error = await nb.error(cell);
    assert.match(error.evalue, /TS2741: Property 'b' is missing/);
  });
});
