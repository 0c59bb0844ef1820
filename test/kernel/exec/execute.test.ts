import assert from "node:assert/strict";
import { Notebook } from "./helpers.js";

describe("kernel exec: running cells", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb.executor.dispose());

  it("keeps top-level declarations of every kind across cells", async () => {
    await nb.value(
      [
        "const a = 1;",
        "let b = 2;",
        "var c = 3;",
        "function twice(n: number): number { return 2 * n; }",
        "class Point { constructor(public x: number, public y: number) {} norm1() { return Math.abs(this.x) + Math.abs(this.y); } }",
        "enum Color { Red, Green = 5 }",
        "const { d, e: [f, g = 7] } = { d: 4, e: [6] };",
        "interface Named { name: string }",
        "type Pair = [number, number];",
      ].join("\n"),
    );
    assert.equal(await nb.value("a + b + c + d + f + g"), "23");
    assert.equal(await nb.value("twice(21)"), "42");
    assert.equal(await nb.value("new Point(3, -4).norm1()"), "7");
    assert.equal(await nb.value("Color.Green + Color[Color.Red].length"), "8");
    assert.equal(await nb.value("const n: Named = { name: 'x' }; const p: Pair = [1, 2]; n.name + p[1]"), "'x2'");
  });

  it("lets a later cell reassign a let/var but not a const", async () => {
    await nb.value("let counter = 0;");
    await nb.value("counter += 5;");
    assert.equal(await nb.value("counter"), "5");
    await nb.value("const fixed = 1;");
    const error = await nb.error("fixed = 2;");
    assert.equal(error.ename, "TSError");
    assert.match(error.traceback[0]!, /cell\[\d+\]:1:1 - error TS2588: Cannot assign to 'fixed' because it is a constant/);
  });

  it("accepts `export` on declarations (copied from a module) and offers CommonJS require", async () => {
    assert.equal(await nb.value("export const exported = 1;\nexport function exportedFn() { return 2; }\nexported + exportedFn()"), "3");
    assert.equal(await nb.value("exported * 10"), "10");
    assert.equal(await nb.value("require('node:path').basename('/a/b.txt')"), "'b.txt'");
  });

  it("hoists functions within a cell", async () => {
    assert.equal(await nb.value("const early = later(2);\nfunction later(n: number) { return n + 1; }\nearly"), "3");
  });

  it("replaces a declaration when a cell re-declares it, with a new type", async () => {
    await nb.value("const value = 10;");
    assert.equal(await nb.value("const value = 'ten';"), undefined);
    assert.equal(await nb.value("value.toUpperCase()"), "'TEN'");
    // Re-running the very same cell works too.
    await nb.value("const value = 'ten';");
    await nb.value("class Thing { a = 1 }");
    assert.equal(await nb.value("class Thing { b = 2 }\nnew Thing().b"), "2");
  });

  it("gives the value of the last expression statement as the result, and none otherwise", async () => {
    assert.equal(await nb.value("1 + 1"), "2");
    assert.equal(await nb.value("const r = 1;"), undefined);
    assert.equal(await nb.value("({ a: [1, 'two'] })"), "{ a: [ 1, 'two' ] }");
    assert.equal(await nb.value("undefined"), undefined);
    assert.equal(await nb.value("'last' // a trailing comment\n// and a comment line"), "'last'");
    assert.equal(await nb.value("1;\ninterface AfterwardsOnlyTypes {}"), "1");
  });

  it("gives no result for silent executions, but still runs them", async () => {
    const { RecordingIO } = await import("./helpers.js");
    const outcome = await nb.executor.execute("const quietly = 7;\nquietly * 6", new RecordingIO(), {
      silent: true,
      storeHistory: false,
      executionCount: nb.executionCount,
    });
    assert.deepEqual(outcome, { status: "ok" });
    assert.equal(await nb.value("quietly"), "7");
  });

  it("supports top-level await, also in declarations", async () => {
    assert.equal(await nb.value("const later = await new Promise<number>((r) => setTimeout(() => r(41), 20));\nlater + 1"), "42");
    assert.equal(await nb.value("for await (const v of (async function* () { yield 1; yield 2; })()) console.log(v);\nawait Promise.resolve('done')"), "'done'");
  });

  it("reports type errors with the cell's own line and column and does not run the cell", async () => {
    await nb.value("let ran = false;");
    const error = await nb.error("ran = true;\nconst s: number = 'text';\nconst t: string = 2;");
    assert.equal(error.ename, "TSError");
    assert.equal(error.traceback.length, 2);
    const count = nb.executionCount;
    assert.equal(error.traceback[0], `cell[${count}]:2:7 - error TS2322: Type 'string' is not assignable to type 'number'.`);
    assert.equal(error.traceback[1], `cell[${count}]:3:7 - error TS2322: Type 'number' is not assignable to type 'string'.`);
    assert.equal(await nb.value("ran"), "false");
  });

  it("type-checks against declarations of earlier cells and the tsnnx namespaces", async () => {
    await nb.value("function greet(name: string) { return 'hi ' + name; }");
    const error = await nb.error("greet(3)");
    assert.match(error.traceback[0]!, /:1:7 - error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/);
    const npError = await nb.error("np.ones('3')");
    assert.match(npError.traceback[0]!, /TS2345/);
    assert.match(await nb.error("display.nothing('x')").then((e) => e.traceback[0]!), /Property 'nothing' does not exist on type 'Display'/);
  });

  it("%typecheck off runs code despite type errors; on turns checking back on", async () => {
    const { outcome } = await nb.run("%typecheck off\nconst loose: number = 'actually a string' as any as number;\nconst wrong: number = 'str';\nwrong");
    assert.deepEqual(outcome, { status: "ok", result: { data: { "text/plain": "'str'" }, metadata: {} } });
    assert.equal(await nb.value("const also: string = 5; also"), "5");
    await nb.value("%typecheck on");
    assert.equal((await nb.error("const again: string = 5;")).ename, "TSError");
    assert.equal((await nb.error("%typecheck maybe")).ename, "UsageError");
    assert.match((await nb.error("%nosuchmagic")).evalue, /unknown magic %nosuchmagic; known magics: .*%typecheck/);
  });

  it("reports syntax errors with line and column", async () => {
    const error = await nb.error("const ok = 1;\nconst broken = ;");
    assert.equal(error.ename, "SyntaxError");
    assert.match(error.traceback[0]!, /^cell\[\d+\]:2:16 - error TS1109: Expression expected\.$/);
  });

  it("maps runtime errors to cell lines, leaving the kernel's frames out", async () => {
    await nb.value("function fail(reason: string): never {\n  throw new RangeError(reason);\n}");
    const count = nb.executionCount;
    const error = await nb.error("const before = 1;\n\nfail('bad ' + before);");
    assert.equal(error.ename, "RangeError");
    assert.equal(error.evalue, "bad 1");
    assert.deepEqual(error.traceback, [
      "RangeError: bad 1",
      `    at fail (cell[${count}]:2:9)`,
      `    at cell[${count + 1}]:3:1`,
    ]);
    const thrown = await nb.error("throw 'a plain string';");
    assert.equal(thrown.evalue, "Uncaught a plain string");
  });

  it("keeps state after a failing cell and binds what ran before the failure", async () => {
    const error = await nb.error("const partial = 'set';\nthrow new Error('stop');\nconst never = 1;");
    assert.equal(error.evalue, "stop");
    assert.equal(await nb.value("partial"), "'set'");
  });

  it("asks the frontend for input", async () => {
    const { RecordingIO } = await import("./helpers.js");
    const io = new RecordingIO(["Ada"]);
    const { outcome } = await nb.run("const who = await input('name? ');\n'hello ' + who", io);
    assert.deepEqual(outcome, { status: "ok", result: { data: { "text/plain": "'hello Ada'" }, metadata: {} } });
    assert.deepEqual(io.prompts, [{ prompt: "name? ", password: false }]);
    const refused = await nb.error("await input('secret', { password: true })");
    assert.equal(refused.evalue, "stdin is not allowed by this frontend");
  });

  it("runs magics registered by others with access to the notebook's bindings", async () => {
    nb.executor.registerMagic("double", (args, context) => {
      context.notebook.set(args, (context.notebook.get(args) as number) * 2);
    });
    await nb.value("let doubled = 21;");
    assert.equal(await nb.value("%double doubled\ndoubled"), "42");
  });
});
