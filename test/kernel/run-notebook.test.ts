import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseRunArguments, runNotebook } from "../../src/kernel/notebook-cli/run.js";

const codeCell = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
const notebookOf = (...sources: string[]) => ({
  cells: [{ cell_type: "markdown", source: "# title", metadata: {} }, ...sources.map(codeCell)],
  metadata: { kernelspec: { name: "tsnnx", display_name: "TypeScript (tsnnx)", language: "typescript" } },
  nbformat: 4,
  nbformat_minor: 5,
});

describe("tsnnx run (headless notebook execution)", function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "tsnnx-run-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, notebook: unknown) => {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(notebook));
    return file;
  };
  const read = async (file: string) => JSON.parse(await readFile(file, "utf8"));

  it("fills execution counts and outputs the way nbformat stores them", async () => {
    const input = await write(
      "in.ipynb",
      notebookOf(
        'console.log("one"); console.log("two")',
        "const n = 20 + 1;\nn * 2",
        'await display("first", { displayId: "d" });\nawait display("second", { displayId: "d", update: true });',
      ),
    );
    const output = path.join(dir, "out.ipynb");
    assert.equal(await runNotebook([input, "--output", output, "--quiet"]), 0);
    const cells = (await read(output)).cells;
    assert.equal(cells[0].cell_type, "markdown");
    assert.deepEqual(
      cells.slice(1).map((c: { execution_count: number }) => c.execution_count),
      [1, 2, 3],
    );
    assert.deepEqual(cells[1].outputs, [{ output_type: "stream", name: "stdout", text: ["one\n", "two\n"] }]);
    assert.equal(cells[2].outputs[0].output_type, "execute_result");
    assert.equal(cells[2].outputs[0].execution_count, 2);
    assert.deepEqual(cells[2].outputs[0].data["text/plain"], ["42"]);
    assert.equal(cells[3].outputs.length, 1);
    assert.deepEqual(cells[3].outputs[0].data["text/plain"], ["'second'"]);
  });

  it("fails input() and prompt() with an error that says there is no frontend to answer", async () => {
    const input = await write("in.ipynb", notebookOf('await input("name? ")', 'prompt("colour? ")'));
    const output = path.join(dir, "out.ipynb");
    assert.equal(await runNotebook([input, "-o", output, "-q", "--allow-errors"]), 1);
    const errors = (await read(output)).cells.slice(1).map((c: { outputs: { evalue: string }[] }) => c.outputs[0].evalue);
    assert.deepEqual(errors, ['input("name? ") needs a frontend: tsnnx run has no stdin for cells', 'prompt("colour? ") needs a frontend: tsnnx run has no stdin for cells']);
  });

  it("stops at the first failing cell with exit code 1, unless --allow-errors", async () => {
    const input = await write("in.ipynb", notebookOf("1", 'throw new RangeError("bad cell")', "3"));
    const stopped = path.join(dir, "stopped.ipynb");
    assert.equal(await runNotebook([input, "-o", stopped, "-q"]), 1);
    const cells = (await read(stopped)).cells;
    assert.equal(cells[2].outputs[0].output_type, "error");
    assert.equal(cells[2].outputs[0].ename, "RangeError");
    assert.equal(cells[2].outputs[0].evalue, "bad cell");
    assert.equal(cells[3].execution_count, null);

    const all = path.join(dir, "all.ipynb");
    assert.equal(await runNotebook([input, "-o", all, "-q", "--allow-errors"]), 1);
    assert.deepEqual((await read(all)).cells[3].outputs[0].data["text/plain"], ["3"]);
  });

  it("never overwrites a notebook by accident", async () => {
    const input = await write("in.ipynb", notebookOf("1"));
    const existing = await write("existing.ipynb", { keep: "me" });
    await assert.rejects(runNotebook([input, "-o", existing, "-q"]), /existing\.ipynb exists: pass --force/);
    assert.deepEqual(await read(existing), { keep: "me" });
    const before = await readFile(input, "utf8");
    assert.equal(await runNotebook([input, "-q"]), 0);
    assert.equal(await readFile(input, "utf8"), before, "without --output or --inplace the input is untouched");
    assert.ok(!existsSync(`${input}.tsnnx-tmp`));
  });

  it("names the file and the problem for bad input", async () => {
    const broken = path.join(dir, "broken.ipynb");
    await writeFile(broken, "{ not json");
    await assert.rejects(runNotebook([broken, "-q"]), /broken\.ipynb is not a notebook: invalid JSON/);
    await assert.rejects(runNotebook([path.join(dir, "missing.ipynb")]), /cannot read notebook .*missing\.ipynb/);
    assert.throws(() => parseRunArguments(["a.ipynb", "--inplace", "-o", "b.ipynb"]), /--inplace and --output exclude each other/);
    assert.throws(() => parseRunArguments(["--bogus"]), /unknown option --bogus/);
  });
});
