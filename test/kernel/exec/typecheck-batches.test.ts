/**
 * Cells are checked in batches of pre-allocated files so that TypeScript
 * reuses the program's structure from one cell to the next (see
 * notebook-types.ts). What a cell sees must not depend on where the batches
 * begin, and the reuse itself is what makes a new cell fast, so it is checked
 * on the language service's program (TypeScript's internal
 * `structureIsReused`: 2 is Completely).
 */
import assert from "node:assert/strict";
import type ts from "typescript";
import { Notebook } from "./helpers.js";

/** More cells than a batch holds (SLOTS is 32). */
const PAST_A_BATCH = 40;
const COMPLETELY = 2;

function structureReuse(nb: Notebook): number {
  const { types } = nb.executor as unknown as { types: { service: ts.LanguageService } };
  return (types.service.getProgram() as unknown as { structureIsReused: number }).structureIsReused;
}

describe("kernel exec: type checking in batches of cells", function () {
  this.timeout(120_000);
  let nb: Notebook;
  beforeEach(async () => {
    nb = await Notebook.open();
  });
  afterEach(() => nb?.executor.dispose());

  it("keeps what each cell saw across batches: shadowed classes, re-declared names, globals", async () => {
    await nb.value("class Meter { constructor(readonly value: number) {} }");
    await nb.value("const first = new Meter(1);");
    await nb.value("class Meter { constructor(readonly label: string) {} }");
    await nb.value("let z = 1;");
    await nb.value("declare global { interface Shape3 { side: number } }");
    for (let i = 0; i < PAST_A_BATCH; i++) await nb.value(`const filler${i}: number = ${i};`);
    // In the second batch, through its scope; read again from the third, once that scope is gone.
    await nb.value("const second = first;");
    for (let i = PAST_A_BATCH; i < 2 * PAST_A_BATCH; i++) await nb.value(`const filler${i}: number = ${i};`);
    assert.equal(await nb.value("second.value"), "1");
    assert.match((await nb.error("second.label")).evalue, /TS2339: Property 'label' does not exist on type 'Meter'/);
    assert.equal(await nb.value("first.value"), "1");
    assert.match((await nb.error("first.label")).evalue, /TS2339: Property 'label' does not exist on type 'Meter'/);
    assert.equal(await nb.value(`new Meter("m").label`), "'m'");
    assert.match((await nb.error("const again: Meter = first;")).evalue, /TS2741: Property 'label' is missing/);
    assert.match((await nb.error(`const side: Shape3 = { side: "long" };`)).evalue, /TS2322/);
    await nb.value(`let z = "text";`);
    assert.match((await nb.error("const n: number = z;")).evalue, /TS2322: Type 'string' is not assignable to type 'number'/);
    assert.equal(await nb.value("filler0 + filler79"), "79");
  });

  it("reuses the program's structure for each new cell, except where a cell adds an import", async () => {
    await nb.value("const base = 1;");
    const reuse: number[] = [];
    for (let i = 0; i < 10; i++) {
      await nb.value(`const step${i}: number = base + ${i};`);
      reuse.push(structureReuse(nb));
    }
    // The first cells after the one that started the batch share its structure.
    assert.deepEqual(reuse, Array(10).fill(COMPLETELY));
    await nb.value(`import { join } from "node:path";\nconst joined: string = join("a", "b");`);
    assert.notEqual(structureReuse(nb), COMPLETELY);
    await nb.value("const after: string = joined;");
    assert.equal(structureReuse(nb), COMPLETELY);
  });

  it("starts the next batch while the kernel is idle, so the cell after a full batch only checks", async () => {
    await nb.value("const ahead = 0;");
    const reuse: number[] = [];
    for (let i = 0; i < 2 * PAST_A_BATCH; i++) {
      nb.executor.prepareNextCell();
      await nb.value(`const ahead${i}: number = ${i};`);
      reuse.push(structureReuse(nb));
    }
    assert.deepEqual(reuse, Array(2 * PAST_A_BATCH).fill(COMPLETELY));
  });

  it("gives no slot to cells that declare nothing: re-running expressions never starts a batch", async () => {
    await nb.value("const x = 2;");
    await nb.value("x + 0");
    const reuse: number[] = [];
    for (let i = 1; i <= PAST_A_BATCH; i++) {
      assert.equal(await nb.value(`x + ${i}`), String(2 + i));
      reuse.push(structureReuse(nb));
    }
    assert.deepEqual(reuse, Array(PAST_A_BATCH).fill(COMPLETELY));
  });

  it("completes every notebook name from an empty word and from its first letters, in any batch", async () => {
    await nb.value("const alphaEarly = 1;");
    for (let i = 0; i < PAST_A_BATCH; i++) await nb.value(`const filler${i} = ${i};`);
    await nb.value("const alphaLate = 2;");
    assert.deepEqual((await nb.executor.complete("alpha", 5)).matches.slice().sort(), ["alphaEarly", "alphaLate"]);
    const all = (await nb.executor.complete("", 0)).matches;
    for (const name of ["alphaEarly", "alphaLate", "filler0", "filler39"]) assert.ok(all.includes(name), `${name} missing`);
    // A member of a notebook value the word at the cursor does not name.
    await nb.value("const point = { east: 1, north: 2 };");
    assert.deepEqual((await nb.executor.complete("point.no", 8)).matches, ["north"]);
  });
});
