/**
 * A cell's file imports only the notebook names it uses, and completion's
 * input only those the code and the word being typed can name: what a cell
 * can see must stay exactly what it saw when every cell was a root. The
 * prelude's declarations are the public ones only: every program of a
 * notebook reads them.
 */
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Notebook, RecordingIO } from "./helpers.js";

describe("kernel exec: the cells a type check takes in", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb?.executor.dispose());

  it("sees a type from a cell it never names, through the cell it does name", async () => {
    await nb.value("class Meter { constructor(readonly value: number) {} double(): Meter { return new Meter(this.value * 2); } }");
    await nb.value("const length = new Meter(3);");
    // This cell names only `length`; `Meter` and its methods come through length's cell.
    assert.equal(await nb.value("length.double().value"), "6");
    const error = await nb.error("const bad: string = length.double().value;");
    assert.match(error.evalue, /TS2322: Type 'number' is not assignable to type 'string'/);
    assert.match((await nb.error("length.triple()")).evalue, /TS2339: Property 'triple' does not exist on type 'Meter'/);
  });

  it("sees globals a much earlier cell declared, with cells in between that name nothing of it", async () => {
    await nb.value("declare global { interface Window2 { size: number } }");
    for (let i = 0; i < 5; i++) await nb.value(`const filler${i} = ${i};`);
    assert.match((await nb.error("const w: Window2 = { size: 'big' };")).evalue, /TS2322: Type 'string' is not assignable to type 'number'/);
    assert.equal(await nb.value("const w2: Window2 = { size: 2 };\nw2.size"), "2");
  });

  it("still completes every notebook name, none of which the input names yet", async () => {
    await nb.value("const uniquelyNamedRootCheck = 1;");
    for (let i = 0; i < 3; i++) await nb.value(`const later${i} = ${i};`);
    const reply = await nb.executor.complete("uniquelyNamed", "uniquelyNamed".length);
    assert.ok(reply.matches.includes("uniquelyNamedRootCheck"), JSON.stringify(reply.matches));
  });
});

describe("kernel exec: the declarations the built kernel's checker reads", function () {
  this.timeout(120_000);

  it("takes in tsnnx's public declarations, not the TypeScript API's or the kernel's machinery", async () => {
    // The built kernel (what npm test built, as users run it): its prelude points at dist's .d.ts files.
    const built = (await import(pathToFileURL(path.resolve("dist/src/kernel/exec/index.js")).href)) as typeof import("../../../src/kernel/exec/index.js");
    const executor = await built.createExecutor({ cwd: os.tmpdir() });
    try {
      const outcome = await executor.execute("const shown = typeof display.html;", new RecordingIO(), { silent: false, storeHistory: true, executionCount: 1 });
      assert.equal(outcome.status, "ok", JSON.stringify(outcome));
      const { types } = executor as unknown as { types: { server: { programFiles(): readonly string[] } } };
      const files = types.server.programFiles();
      assert.ok(files.some((f) => f.endsWith("dist/src/kernel/exec/display.d.ts")), "the prelude's display declarations");
      assert.ok(files.some((f) => f.endsWith("dist/src/nnx/module.d.ts")), "tsnnx's declarations");
      const kernelMachinery = files.filter((f) => f.endsWith("typescript/lib/typescript.d.ts") || /\/kernel\/(magics|exec\/(types|executor))\b/.test(f));
      assert.deepEqual(kernelMachinery, []);
    } finally {
      executor.dispose();
    }
  });
});
