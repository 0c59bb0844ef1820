/**
 * Cells are checked by TypeScript 7 (tsgo) in a child process. Its errors
 * must read as the TypeScript that users know reports them, and the child is
 * machinery the notebook never sees: if it dies, the next cell is checked by
 * a new one.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Notebook } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The errors TypeScript 6's own API reports for `code` alone, formatted as the kernel formats them. */
function typeScript6Errors(code: string, label: string): string[] {
  const fileName = "/cell.ts";
  const options: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, lib: ["lib.es2023.d.ts"], noEmit: true, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (f === fileName ? code : readFile(f));
  host.fileExists = ((exists) => (f: string) => f === fileName || exists(f))(host.fileExists.bind(host));
  host.getSourceFile = ((get) => (f: string, v: ts.ScriptTarget | ts.CreateSourceFileOptions) =>
    f === fileName ? ts.createSourceFile(f, code, v) : get(f, v))(host.getSourceFile.bind(host));
  const program = ts.createProgram([fileName], options, host);
  const file = program.getSourceFile(fileName)!;
  return program.getSemanticDiagnostics(file).map((d) => {
    const { line, character } = file.getLineAndCharacterOfPosition(d.start!);
    return `${label}:${line + 1}:${character + 1} - error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

/** Process ids of `parent`'s live children running tsgo, TypeScript 7's native compiler (other suites' notebooks may have some too). */
function tsgoChildren(parent = process.pid): Set<number> {
  const runsTsgo = (pid: number): boolean => {
    try {
      return readlinkSync(`/proc/${pid}/exe`).includes("/node_modules/@typescript/typescript-");
    } catch {
      return false; // exited (a zombie has no executable)
    }
  };
  const children = readdirSync(`/proc/${parent}/task`).flatMap((task) =>
    readFileSync(`/proc/${parent}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number),
  );
  return new Set(children.filter(runsTsgo));
}

function startedSince(before: Set<number>): number[] {
  return [...tsgoChildren()].filter((pid) => !before.has(pid));
}

describe("kernel exec: type checking in tsgo", function () {
  this.timeout(120_000);
  let nb: Notebook;
  beforeEach(async () => {
    nb = await Notebook.open();
  });
  afterEach(() => nb?.executor.dispose());

  interface Completion {
    text: string;
    type: string;
    signature: string;
  }
  interface QuickInfo {
    signature: string;
    documentation: string;
  }
  /** The notebook's checkers, as these tests reach into them. */
  interface Types {
    completions(code: string, cursor: number, prefix: string): Completion[];
    quickInfo(code: string, cursor: number): QuickInfo | null;
    scopeCompletions(cursor: number, prefix: string): Completion[];
    serviceQuickInfo(cursor: number): QuickInfo | null;
    service: ts.LanguageService;
    server: { query: (read: unknown) => unknown };
    withInput<T>(code: string, cursor: number, request: () => T): T;
  }
  const internals = () => (nb.executor as unknown as { types: Types }).types;
  /** What `request` returns, and how many times it called the language service's `method`. */
  const counting = <T>(method: "getCompletionsAtPosition" | "getQuickInfoAtPosition", request: () => T): [T, number] => {
    const service = internals().service;
    const asked = service[method] as (...args: unknown[]) => unknown;
    let calls = 0;
    (service[method] as unknown) = (...args: unknown[]) => (calls++, asked.apply(service, args));
    try {
      return [request(), calls];
    } finally {
      (service[method] as unknown) = asked;
    }
  };
  /** What TypeScript 6's language service completes for `code` (the path each request took before tsgo's). */
  const serviceCompletions = (code: string, prefix: string) => internals().withInput(code, code.length, () => internals().scopeCompletions(code.length, prefix));

  const erroneous = [
    // A chain of reasons, each on its own line, indented by depth.
    "interface Point { x: number }\nconst move: (p: Point) => void = (p: { x: string }) => {};",
    // Two errors, the second on a later line.
    'const a: number = "one";\nconst b: string = 2;',
    // Where the error starts: the argument, not the call.
    "function half(n: number): number { return n / 2; }\nconst h = half(\n  'x');",
    "const o: { deep: { leaf: number } } = { deep: { leaf: true } };",
  ];
  for (const [i, code] of erroneous.entries()) {
    it(`reports the errors TypeScript 6 reports, with its positions and messages (${i + 1})`, async () => {
      const error = await nb.error(code);
      assert.equal(error.ename, "TSError");
      const expected = typeScript6Errors(code, `cell[${nb.executionCount}]`);
      assert.ok(expected.length > 0);
      assert.deepEqual(error.traceback, expected);
    });
  }

  describe("completion after a dot", () => {
    beforeEach(async () => {
      await nb.value(
        [
          "class Tiny extends nnx.Module {",
          "  w = new nnx.Param(np.array([1, 2]));",
          "  scale = 2;",
          "  /** Applies the model. */",
          "  apply(x: number): number { return x * this.scale; }",
          "  get doubled(): number { return 2 * this.scale; }",
          "}",
        ].join("\n"),
      );
      await nb.value("const tiny = new Tiny(); const lookup = new Map<string, number[]>(); const point = { x: 1, label: 'two' }; enum Color { Red, Green }");
      await nb.value("namespace Shapes { export function area(r: number): number { return 3 * r * r; } export const unit = 1; export interface Box { side: number } }");
    });

    const cases: [code: string, prefix: string][] = [
      ["tiny.", ""],
      ["tiny.sc", "sc"],
      ["lookup.", ""],
      ["point.", ""],
      ["Color.", ""],
      ["Shapes.", ""],
      ["Math.ma", "ma"],
      ["nnx.Li", "Li"],
      ["tiny?.w.", ""],
      ["[1, 2].fla", "fla"],
    ];
    for (const [code, prefix] of cases) {
      it(`comes from tsgo and matches the language service's names, kinds and types: ${code}`, async () => {
        const expected = serviceCompletions(code, prefix);
        assert.ok(expected.length > 0, "the language service completes it");
        assert.deepEqual(
          counting("getCompletionsAtPosition", () => internals().completions(code, code.length, prefix)),
          [expected, 0],
        );
      });
    }

    it("completes after a spread's dots as a name in scope, not a member (tsgo would refuse that request and be replaced)", async () => {
      const before = tsgoChildren();
      const code = "const all = [...tin";
      const matches = (await nb.executor.complete(code, code.length)).matches;
      assert.deepEqual(matches, ["tiny"]);
      assert.deepEqual(tsgoChildren(), before, "no tsgo child failed and was replaced");
    });
  });

  describe("completion of a name in scope", () => {
    const prefixOf = (code: string) => /[\w$]*$/.exec(code)![0];
    const languageService = (code: string) => serviceCompletions(code, prefixOf(code));
    /** The kernel's completions at the end of `code`, and how many times it asked the language service for some. */
    const completed = (code: string) => counting("getCompletionsAtPosition", () => internals().completions(code, code.length, prefixOf(code)));

    beforeEach(async () => {
      await nb.value(
        "const Mass = 3; function Make(a: number) { return a; } class Machine {} interface Mapping { a: number } type Maybe = number | null; enum Mode { A } namespace Marks { export const m = 1; } namespace Meta { export interface I {} } let status = 'ok';",
      );
      await nb.value("import { readFileSync as readMe } from 'node:fs';");
      // The globals and keywords are asked of the language service once, by the first such request.
      completed("Mi");
    });

    const fromTsgo = [
      // The notebook's values of every kind, not its types (`Mapping`, `Maybe`, `Meta`), ranked before the globals.
      "Ma",
      "Mo",
      "Mar",
      "Met",
      "rea",
      // A notebook name hides the global of the same name (lib.dom's `status`).
      "sta",
      // Globals and keywords alone.
      "n",
      // In expressions of every sort at the top level.
      "const r = Ma",
      "f(Ma",
      "if (Ma",
      "x ? Ma",
      "const o = { a: Ma",
      "new Ma",
      "typeof Ma",
      "!Ma",
      // The cell's own names, but not the variable being initialized, nor a block's after the block.
      "const Mb = Ma",
      "const Mb = 1; Mb",
      "let q = 1; q + Ma",
      "const [Ma2] = [1]; Ma",
      "function g() {} ; g",
      "if (1) { const Mz = 2; } M",
    ];
    for (const code of fromTsgo) {
      it(`comes from tsgo and matches the language service's names, kinds and types: ${code}`, async () => {
        const expected = languageService(code);
        assert.deepEqual(completed(code), [expected, 0]);
      });
    }

    const fromLanguageService: [code: string, why: string][] = [
      ["", "no word typed"],
      ["function h(Malpha: number) { return Ma", "in a function (its keywords and `arguments`)"],
      ["const f = (Mx: number) => Ma", "in an arrow function"],
      ["let u = 1 as Ma", "a type"],
      ["for (const Mitem of [1]) { Mi", "in a block the cell leaves open"],
      ["{ Ma", "right after `{`"],
    ];
    for (const [code, why] of fromLanguageService) {
      it(`leaves the rest to the language service: ${why}`, async () => {
        const expected = languageService(code);
        const [matches, calls] = completed(code);
        assert.deepEqual(matches, expected);
        assert.ok(calls > 0, "the language service answered");
      });
    }

    it("asks the language service for the globals again after a cell declares one", async () => {
      assert.ok(!completed("Mgl")[0].some((c) => c.text === "Mglobal"));
      await nb.value("declare global { var Mglobal: number }");
      const [matches, calls] = completed("Mgl");
      assert.deepEqual(matches, languageService("Mgl"));
      assert.ok(matches.some((c) => c.text === "Mglobal"));
      assert.equal(calls, 1, "once, for the globals");
    });
  });

  describe("inspection", () => {
    /** What TypeScript 6's language service answers for the same request. */
    const languageService = (code: string, cursor: number) => internals().withInput(code, cursor, () => internals().serviceQuickInfo(cursor));
    /** The kernel's answer, and how many times it asked the language service for it. */
    const inspected = (code: string, cursor: number) => counting("getQuickInfoAtPosition", () => internals().quickInfo(code, cursor));

    beforeEach(async () => {
      await nb.value(
        [
          "class Tiny extends nnx.Module {",
          "  w = new nnx.Param(np.array([1, 2]));",
          "  /** Applies the model. */",
          "  apply(x: number): number { return x; }",
          "  get doubled(): number { return 2; }",
          "  self(): this { return this; }",
          "}",
          "const tiny = new Tiny();",
          "/** How many steps the optimizer took. */",
          "const stepCount = 3;",
        ].join("\n"),
      );
      await nb.value("const lookup = new Map<string, number>(); const point = { x: 1, y: 2 }; let counter = 1; var old = 2; let maybe = 'a' as number | string;");
      await nb.value("namespace Shapes { export namespace Round { export function area(r: number): number { return 3 * r * r; } } }");
      await nb.value(
        "/** Adds one. */ function inc(a: number): number { return a + 1; } function id<T>(x: T): T { return x; } class Box<T> { constructor(public item: T) {} get(): T { return this.item; } } const box = new Box(3); const opt: { a?: number } = {}; enum Color { Red }",
      );
    });

    const fromTsgo: [code: string, cursor: number][] = [
      // A library interface's method, named and called; a generic instance's, with its type arguments.
      ["Math.max", 8],
      ["Math.max(1)", 8],
      ["lookup.get('a')", 10],
      ["box.get()", 6],
      ["box.item", 6],
      // A property qualified by its namespaces (`declare global` is no part of the name), and an object literal's.
      ["process.env", 11],
      ["point.x", 7],
      ["Shapes.Round.area(2)", 17],
      // A notebook class's method with its doc comment, a getter, a `this` type, an inherited tsnnx method, a field.
      ["tiny.apply(2)", 7],
      ["tiny.doubled", 9],
      ["tiny.self()", 7],
      ["tiny.train", 9],
      ["tiny.w", 6],
      // tsnnx's and jax-js's exports, with doc comments and tags.
      ["nnx.Linear", 10],
      ["optax.adam(1e-3)", 8],
      ["optax.adam", 10],
      ["np.ones([2])", 4],
      // Notebook names: const, let (narrowed where used), var, functions named and called, a class.
      ["stepCount + 1", 4],
      ["counter", 3],
      ["typeof maybe === 'string' ? maybe : 0", 30],
      ["old", 2],
      ["inc(2)", 2],
      ["inc", 2],
      ["id", 2],
      ["Tiny", 2],
    ];
    for (const [code, cursor] of fromTsgo) {
      it(`comes from tsgo and reads as the language service's quick info: ${code}`, async () => {
        const expected = languageService(code, cursor);
        assert.ok(expected, "the language service describes it");
        assert.deepEqual(inspected(code, cursor), [expected, 0]);
      });
    }

    it("answers a request asked again from its last answer, until a cell changes what it read", async () => {
      const server = internals().server;
      const query = server.query;
      let queries = 0;
      server.query = (read) => (queries++, query.call(server, read));
      try {
        const first = internals().quickInfo("counter", 3);
        assert.equal(first?.signature, "let counter: number");
        assert.equal(internals().quickInfo("counter", 3), first);
        assert.equal(queries, 1, "the repeated request did not reach the checker");
        await nb.value("const counter = 'now a string';");
        assert.equal(internals().quickInfo("counter", 3)?.signature, 'const counter: "now a string"');
      } finally {
        server.query = query;
      }
    });

    const fromLanguageService: [code: string, cursor: number, why: string][] = [
      ["console.log", 10, "overloads"],
      ["id(2)", 2, "a generic function's call, shown instantiated"],
      ["new nnx.Linear(3, 4, { rngs })", 10, "a constructor"],
      ["opt.a", 5, "an optional property"],
      ["Color.Red", 8, "an enum member"],
      ["Box", 2, "a generic class"],
      ["[1].length", 6, "a generic instance's member with no name before the dot"],
    ];
    for (const [code, cursor, why] of fromLanguageService) {
      it(`leaves what tsgo's primitives cannot show as quick info does to the language service: ${why}`, async () => {
        const expected = languageService(code, cursor);
        assert.ok(expected, "the language service describes it");
        const [info, calls] = inspected(code, cursor);
        assert.deepEqual(info, expected);
        assert.ok(calls > 0, "the language service answered");
      });
    }
  });

  it("checks the next cell in a new child when the last one died", async () => {
    const before = tsgoChildren();
    await nb.value("const kept: number = 1;");
    const [child] = startedSince(before);
    assert.ok(child, "a tsgo child process");
    process.kill(child, "SIGKILL");
    assert.match((await nb.error("const s: string = kept;")).evalue, /TS2322: Type 'number' is not assignable to type 'string'/);
    assert.equal(await nb.value("kept + 1"), "2");
    const replaced = startedSince(before);
    assert.equal(replaced.length, 1);
    assert.notEqual(replaced[0], child);
  });

  it("stops its child when the notebook is disposed", async () => {
    const before = tsgoChildren();
    await nb.value("const started = 1;");
    const [child] = startedSince(before);
    assert.ok(child, "a tsgo child process");
    nb.executor.dispose();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!tsgoChildren().has(child!));
  });

  it("dies with a kernel killed outright, even when it cannot act on its closed stdin", async function () {
    const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && existsSync(path.join(dir, "setpriv")));
    if (!onPath) this.skip(); // the parent-death signal comes from util-linux's setpriv
    const kernel = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/child-notebook.ts"), os.tmpdir()], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: kernel.stdout });
      const done = new Promise<void>((resolve) => lines.on("line", (line) => (JSON.parse(line) as { event: string }).event === "done" && resolve()));
      kernel.stdin.write(JSON.stringify({ code: "const checked: number = 1;" }) + "\n");
      await done;
      const [child] = tsgoChildren(kernel.pid!);
      assert.ok(child, "the kernel's tsgo child");
      // Stopped, it stands for a tsgo that hangs: only a signal from outside ends it.
      process.kill(child, "SIGSTOP");
      kernel.kill("SIGKILL");
      const gone = () => !existsSync(`/proc/${child}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${child}/status`, "utf8"));
      for (let waited = 0; !gone() && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(gone(), `tsgo ${child} outlived its kernel`);
    } finally {
      kernel.kill("SIGKILL");
    }
  });
});
