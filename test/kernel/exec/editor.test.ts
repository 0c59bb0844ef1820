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

  it("ranks the name typed in full first, then names starting with the prefix, the notebook's before globals", async () => {
    await nb.value("const nameTable = { a: 1 };");
    const { matches } = (await nb.executor.complete("name", 4));
    assert.equal(matches[0], "name", "the global `name`, typed in full");
    assert.equal(matches[1], "nameTable", "the notebook's name before the keyword `namespace` and other globals");
    assert.ok(matches.includes("namespace"));
    const lower = (await nb.executor.complete("const t = tin", 13)).matches;
    assert.deepEqual(lower.slice(0, 1), ["tiny"]);
  });

  it("describes each match in _jupyter_types_experimental, paired by index: its kind and its type", async () => {
    const code = "const k = ste";
    const reply = await nb.executor.complete(code, code.length);
    const types = reply.metadata._jupyter_types_experimental as { start: number; end: number; text: string; type: string; signature: string }[];
    assert.deepEqual(types.map((t) => t.text), reply.matches);
    assert.deepEqual(types.find((t) => t.text === "stepCount"), { start: reply.cursorStart, end: reply.cursorEnd, text: "stepCount", type: "instance", signature: "3" });
    const members = (await nb.executor.complete("tiny.", 5)).metadata._jupyter_types_experimental as typeof types;
    assert.deepEqual(
      members.map((t) => [t.text, t.type, t.signature]),
      [
        ["apply", "function", "(x: number) => number"],
        ["weight", "property", "number"],
      ],
    );
    const magic = (await nb.executor.complete("%sa", 3)).metadata._jupyter_types_experimental as typeof types;
    assert.deepEqual(magic.map((t) => [t.text, t.type]), [["save", "magic"]]);
    const flags = (await nb.executor.complete("%save tiny --st", 15)).metadata._jupyter_types_experimental as typeof types;
    assert.deepEqual(flags.map((t) => [t.text, t.type, t.start]), [["--step", "param", 11]]);
  });

  it("completes a module's attributes with their types (model.linear1. lists kernel and bias)", async () => {
    await nb.value(
      [
        "class TwoLayers extends nnx.Module {",
        "  linear1: nnx.Linear;",
        "  constructor(rngs: nnx.Rngs) { super(); this.linear1 = new nnx.Linear(2, 3, { rngs }); }",
        "}",
        "const model = new TwoLayers(new nnx.Rngs(0));",
      ].join("\n"),
    );
    const code = "model.linear1.";
    const reply = await nb.executor.complete(code, code.length);
    const types = reply.metadata._jupyter_types_experimental as { text: string; type: string; signature: string }[];
    const of = (name: string) => types.find((t) => t.text === name);
    assert.deepEqual(of("kernel"), { ...of("kernel"), type: "property", signature: "Param<Array>" });
    assert.deepEqual(of("bias"), { ...of("bias"), type: "property", signature: "Param<Array> | null" });
    assert.deepEqual([of("call")?.type, of("call")?.signature], ["function", "(x: Array) => Array"]);
    const everything = await nb.executor.complete("", 0);
    assert.ok(everything.matches.includes("model") && everything.matches.includes("Math"), "an empty cell completes every name");
    const classes = (await nb.executor.complete("Tin", 3)).metadata._jupyter_types_experimental as typeof types;
    assert.deepEqual(classes.map((t) => [t.text, t.type, t.signature]), [["Tiny", "class", "typeof Tiny"]]);
  });

  it("completion and later cells see a re-declared name's new type, not the one the service saw first", async () => {
    await nb.value("let settings = { lr: 0.1 };");
    assert.deepEqual((await nb.executor.complete("settings.", 9)).matches, ["lr"]);
    await nb.value("settings.lr.toFixed(2)");
    await nb.value("const settings = { lr: 'fast', momentum: 0.9 };");
    assert.deepEqual((await nb.executor.complete("settings.", 9)).matches, ["lr", "momentum"]);
    assert.match((await nb.error("settings.lr.toFixed(2)")).evalue, /Property 'toFixed' does not exist on type 'string'/);
  });

  it("inspects the symbol under the cursor: type and doc comment", async () => {
    const reply = await nb.executor.inspect("stepCount + 1", 4, 0);
    assert.equal(reply.found, true);
    assert.equal(reply.data["text/plain"], "const stepCount: 3\n\nHow many steps the optimizer took.");
    assert.equal(reply.data["text/markdown"], "```ts\nconst stepCount: 3\n```\n\nHow many steps the optimizer took.");
    const method = await nb.executor.inspect("tiny.apply(2)", 7, 1);
    assert.equal(method.data["text/plain"], "(method) Tiny.apply(x: number): number\n\nApplies the model.");
    const ones = await nb.executor.inspect("np.ones([2])", 4, 0);
    assert.match(ones.data["text/plain"] as string, /^(function )?ones\(shape: number\[\], [^\n]*\): jax\.Array\n\nReturn a new array of given shape/, "jax-js's doc comment, without the prelude's alias line or the bundle's namespace name");
    const nothing = await nb.executor.inspect("   ", 1, 0);
    assert.deepEqual(nothing, { found: false, data: {}, metadata: {} });
  });

  it("inspects tsnnx's own API with its doc comments: a layer's constructor, an optimizer, a graph function", async () => {
    const linear = (await nb.executor.inspect("new nnx.Linear(3, 4, { rngs })", 10, 0)).data["text/plain"] as string;
    assert.match(linear, /^new Linear\(inFeatures: number, outFeatures: number, options: nnx\.LinearOptions\): nnx\.Linear\n\nA Linear layer/);
    assert.match(linear, /\[inFeatures, outFeatures\]/, "the comment says the kernel's shape");
    const adam = (await nb.executor.inspect("optax.adam(1e-3)", 8, 0)).data["text/plain"] as string;
    assert.match(adam, /^adam\(learningRate: optax\.ScalarOrSchedule, options\?: optax\.AdamOptions\): optax\.GradientTransformation\n\nThe Adam optimizer/);
    assert.match(adam, /@example const optimizer = new nnx\.Optimizer\(model, optax\.adam\(1e-3\)\);$/);
    const split = (await nb.executor.inspect("nnx.split(model, nnx.Param)", 6, 0)).data["text/plain"] as string;
    assert.match(split, /^split\(node: unknown, filter: nnx\.Filter\): \[nnx\.GraphDef, nnx\.State\] \(\+2 overloads\)\n\n`\[graphdef, state\]` of the leaves matching `filter`/);
  });

  it("names a member after its container as TypeScript does: interfaces, generic instances, namespaces, notebook classes", async () => {
    await nb.value("namespace Shapes { export namespace Round { export function area(r: number): number { return 3 * r * r; } } }");
    await nb.value("const lookup = new Map<string, number>(); const point = { x: 1, y: 2 };");
    const shown = async (code: string, cursor: number) => ((await nb.executor.inspect(code, cursor, 0)).data["text/plain"] as string).split("\n")[0];
    assert.equal(await shown("Math.max", 8), "(method) Math.max(...values: number[]): number");
    assert.equal(await shown("lookup.get", 10), "(method) Map<string, number>.get(key: string): number | undefined");
    assert.match(await shown("[1, 2].map", 10), /^\(method\) Array<number>\.map<U>\(callbackfn/);
    assert.equal(await shown("process.env", 11), "(property) NodeJS.Process.env: NodeJS.ProcessEnv");
    assert.equal(await shown("Shapes.Round.area", 17), "function Shapes.Round.area(r: number): number");
    assert.equal(await shown("point.x", 7), "(property) x: number");
    assert.equal(await shown("tiny.apply", 10), "(method) Tiny.apply(x: number): number");
    assert.equal(await shown("nnx.Linear", 10), "class Linear");
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
