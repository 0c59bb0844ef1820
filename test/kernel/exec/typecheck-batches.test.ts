/**
 * Cells are checked in batches of pre-allocated files so that TypeScript
 * reuses the program's structure from one cell to the next (see
 * notebook-types.ts). What a cell sees must not depend on where the batches
 * begin, and the reuse itself is what makes a new cell fast. Both checkers
 * (tsgo for cells, the language service for completion) reuse a program's
 * structure exactly when its roots and every file's module specifiers stay
 * the same, so that is what these tests hold: the notebook's file names, the
 * checker's tsconfig and each file's imports, as TypeScript reads them.
 */
import assert from "node:assert/strict";
import ts from "typescript";
import { Notebook } from "./helpers.js";

/** More cells than a batch holds (SLOTS is 32). */
const PAST_A_BATCH = 40;

function structure(nb: Notebook): string {
  const { types } = nb.executor as unknown as { types: { files: Map<string, { text: string }> } };
  return [...types.files]
    .map(([file, { text }]) => `${file}: ${file.endsWith(".json") ? text : ts.preProcessFile(text).importedFiles.map((f) => f.fileName).join(" ")}`)
    .join("\n");
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
    const batchStart = structure(nb);
    for (let i = 0; i < 10; i++) {
      await nb.value(`const step${i}: number = base + ${i};`);
      // The cells after the one that started the batch share its structure.
      assert.equal(structure(nb), batchStart, `after step${i}`);
    }
    await nb.value(`import { join } from "node:path";\nconst joined: string = join("a", "b");`);
    const withImport = structure(nb);
    assert.notEqual(withImport, batchStart);
    await nb.value("const after: string = joined;");
    assert.equal(structure(nb), withImport);
  });

  it("starts the next batch while the kernel is idle, so the cell after a full batch only checks", async () => {
    await nb.value("const ahead = 0;");
    const batchStarts = new Set<string>();
    for (let i = 0; i < 2 * PAST_A_BATCH; i++) {
      nb.executor.prepareNextCell();
      const prepared = structure(nb);
      batchStarts.add(prepared);
      await nb.value(`const ahead${i}: number = ${i};`);
      assert.equal(structure(nb), prepared, `ahead${i}`);
    }
    // The batches did start: three of them hold 81 cells.
    assert.equal(batchStarts.size, 3);
  });

  it("gives no slot to cells that declare nothing: re-running expressions never starts a batch", async () => {
    await nb.value("const x = 2;");
    await nb.value("x + 0");
    const before = structure(nb);
    for (let i = 1; i <= PAST_A_BATCH; i++) {
      nb.executor.prepareNextCell();
      assert.equal(await nb.value(`x + ${i}`), String(2 + i));
      assert.equal(structure(nb), before, `x + ${i}`);
    }
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
