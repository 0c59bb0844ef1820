import assert from "node:assert/strict";
import os from "node:os";
import { createExecutor } from "../../../src/kernel/exec/index.js";
import { CommManager } from "../../../src/kernel/comm.js";
import { Notebook } from "./helpers.js";

describe("kernel exec: completion, inspection, is_complete", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
    await nb.value(
      [
        "/** How many steps the optimizer took. */",
        "const stepCount = 3;",
        "const stepSize = 0.1;",
        "/** A tiny model. */",
        "class Tiny {",
        "  weight = 1;",
        "  /** Applies the model. */",
        "  apply(x: number) { return x * this.weight; }",
        "}",
        "const tiny = new Tiny();",
      ].join("\n"),
    );
  });
  after(() => nb.executor.dispose());

  it("completes names from earlier cells with the replaced range", async () => {
    const code = "const k = ste";
    const reply = await nb.executor.complete(code, code.length);
    assert.deepEqual(reply.matches.slice().sort(), ["stepCount", "stepSize"]);
    assert.equal(reply.cursorStart, code.length - 3);
    assert.equal(reply.cursorEnd, code.length);
  });

  it("completes members after a dot", async () => {
    const code = "tiny.";
    const reply = await nb.executor.complete(code, code.length);
    assert.deepEqual(reply.matches.slice().sort(), ["apply", "weight"]);
    assert.equal(reply.cursorStart, code.length);
    const partial = await nb.executor.complete("tiny.ap", 7);
    assert.deepEqual(partial.matches, ["apply"]);
    assert.equal(partial.cursorStart, 5);
  });

  it("completes the tsnnx namespaces and their members", async () => {
    assert.ok((await nb.executor.complete("n", 1)).matches.includes("np"));
    const ones = await nb.executor.complete("np.one", 6);
    assert.deepEqual(ones.matches.filter((m) => m.startsWith("ones")).sort(), ["ones", "onesLike"]);
    assert.ok((await nb.executor.complete("display.ht", 10)).matches.includes("html"));
  });

  it("completes magics and counts the cursor in code points", async () => {
    assert.deepEqual((await nb.executor.complete("%type", 5)).matches, ["typecheck"]);
    // "😀" is one code point (two UTF-16 units): Jupyter positions count code points.
    const code = "'😀'; ste";
    const reply = await nb.executor.complete(code, [...code].length);
    assert.deepEqual(reply.matches.slice().sort(), ["stepCount", "stepSize"]);
    assert.equal(reply.cursorStart, [...code].length - 3);
  });

  it("inspects the symbol under the cursor: type and doc comment", async () => {
    const reply = await nb.executor.inspect("stepCount + 1", 4, 0);
    assert.equal(reply.found, true);
    assert.equal(reply.data["text/plain"], "const stepCount: 3\n\nHow many steps the optimizer took.");
    assert.equal(reply.data["text/markdown"], "```ts\nconst stepCount: 3\n```\n\nHow many steps the optimizer took.");
    const method = await nb.executor.inspect("tiny.apply(2)", 7, 1);
    assert.equal(method.data["text/plain"], "(method) Tiny.apply(x: number): number\n\nApplies the model.");
    const nothing = await nb.executor.inspect("   ", 1, 0);
    assert.deepEqual(nothing, { found: false, data: {}, metadata: {} });
  });

  it("says whether code is complete, incomplete (with indent) or invalid", async () => {
    const cases: [string, string, string?][] = [
      ["const a = 1;", "complete"],
      ["", "complete"],
      ["function f() {", "incomplete", "  "],
      ["if (a) {\n  if (b) {", "incomplete", "    "],
      ["foo(1,", "incomplete", "  "],
      ["const s = `multi\nline", "incomplete", ""],
      ["const s = `${a +", "incomplete"],
      ["/* open comment", "incomplete", ""],
      ["1 +", "incomplete", ""],
      ["const t = a / b", "complete"],
      ["const r = /x+/g.test('xx')", "complete"],
      ["1 +* 2", "invalid"],
      ["foo())", "invalid"],
      ["const x = 'unterminated", "invalid"],
      ["const = 5;", "invalid"],
      ["a b c;", "invalid"],
      ["%typecheck off", "complete"],
      ["%typecheck off\nfunction g() {", "incomplete", "  "],
    ];
    for (const [code, status, indent] of cases) {
      const reply = await nb.executor.isComplete(code);
      assert.equal(reply.status, status, `${JSON.stringify(code)}: ${JSON.stringify(reply)}`);
      if (indent !== undefined) assert.equal(reply.indent, indent, JSON.stringify(code));
    }
  });
});

describe("kernel exec: kernel bindings", function () {
  this.timeout(120_000);
  it("binds the server's comms as `comms`, typed", async () => {
    const published: unknown[] = [];
    const comms = new CommManager(
      (type, content) => published.push([type, content.target_name]),
      (error) => {
        throw error;
      },
    );
    const nb = new Notebook(await createExecutor({ cwd: os.tmpdir(), comms }));
    try {
      await nb.value("const comm = comms.open('tsnnx.test', { hello: 1 });");
      assert.deepEqual(published, [["comm_open", "tsnnx.test"]]);
      assert.equal((await nb.error("comms.open(42)")).ename, "TSError");
    } finally {
      nb.executor.dispose();
    }
  });
});
