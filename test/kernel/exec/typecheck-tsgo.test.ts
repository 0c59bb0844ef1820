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
    interface Internals {
      types: {
        completions(code: string, cursor: number, prefix: string): Completion[];
        service: ts.LanguageService;
        withInput<T>(code: string, cursor: number, request: () => T): T;
        scopeCompletions(cursor: number, prefix: string): Completion[];
      };
    }
    interface Completion {
      text: string;
      type: string;
      signature: string;
    }
    const internals = () => (nb.executor as unknown as Internals).types;
    /** What TypeScript 6's language service answers for the same request (the path bare names take). */
    const languageService = (code: string, prefix: string) => internals().withInput(code, code.length, () => internals().scopeCompletions(code.length, prefix));

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
        const expected = languageService(code, prefix);
        assert.ok(expected.length > 0, "the language service completes it");
        const asked = internals().service.getCompletionsAtPosition;
        internals().service.getCompletionsAtPosition = () => assert.fail("member completion reached the language service");
        try {
          assert.deepEqual(internals().completions(code, code.length, prefix), expected);
        } finally {
          internals().service.getCompletionsAtPosition = asked;
        }
      });
    }

    it("leaves a spread's dots, which are not a member access, to the language service (tsgo refuses names in scope)", async () => {
      const before = tsgoChildren();
      const code = "const all = [...tin";
      const matches = (await nb.executor.complete(code, code.length)).matches;
      assert.deepEqual(matches, ["tiny"]);
      assert.deepEqual(tsgoChildren(), before, "no tsgo child failed and was replaced");
    });
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
