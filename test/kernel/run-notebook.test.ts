import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseRunArguments, runNotebook } from "../../src/kernel/notebook-cli/run.js";
import { notebookOf } from "./notebook-cli/notebooks.js";

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
    const fine = await write("fine.ipynb", notebookOf("1"));
    await assert.rejects(runNotebook([fine, "-o", dir, "--force"]), /--output .* is a directory: name the notebook file to write/);
    await assert.rejects(runNotebook([fine, "-o", path.join(dir, "no", "out.ipynb")]), /the folder .*no does not exist/);
    assert.throws(() => parseRunArguments(["a.ipynb", "--inplace", "-o", "b.ipynb"]), /--inplace and --output exclude each other/);
    assert.throws(() => parseRunArguments(["--bogus"]), /unknown option --bogus/);
  });

  it("reads nothing that is not an nbformat 4 notebook, and says what it is", async () => {
    await mkdir(path.join(dir, "folder.ipynb"));
    await assert.rejects(runNotebook([path.join(dir, "folder.ipynb")]), /folder\.ipynb is a directory, not a notebook/);
    const text = await writeFile(path.join(dir, "notes.txt"), "just some notes\n").then(() => path.join(dir, "notes.txt"));
    await assert.rejects(runNotebook([text]), /notes\.txt is not a notebook: invalid JSON/);
    const noCells = await write("object.ipynb", { hello: "world" });
    await assert.rejects(runNotebook([noCells]), /object\.ipynb is not a notebook: no "cells" list/);
    const v3 = await write("old.ipynb", { cells: [], metadata: {}, nbformat: 3, nbformat_minor: 0 });
    await assert.rejects(runNotebook([v3]), /old\.ipynb is nbformat 3: tsnnx reads nbformat 4/);
  });

  it("injects -p parameters after the parameters cell as papermill records them", async () => {
    const input = await write(
      "params.ipynb",
      notebookOf({ source: 'const learningRate = 0.1;\nconst name = "default";\nconst sizes = [1];', tags: ["parameters"] }, "console.log(learningRate * 2, name.toUpperCase(), sizes.length)"),
    );
    const before = await readFile(input, "utf8");
    const output = path.join(dir, "params-out.ipynb");
    assert.equal(await runNotebook([input, "-o", output, "-q", "-p", "learningRate=0.25", "-p", "name=world", "-p", "sizes=[2,3]"]), 0);
    const executed = await read(output);
    assert.deepEqual(executed.metadata.papermill, { parameters: { learningRate: 0.25, name: "world", sizes: [2, 3] } });
    const [, parameters, injected, use] = executed.cells;
    assert.deepEqual(parameters.metadata.tags, ["parameters"]);
    assert.deepEqual(injected.metadata, { tags: ["injected-parameters"] });
    assert.equal(injected.source, '// Parameters\nconst learningRate = 0.25;\nconst name = "world";\nconst sizes = [2,3];\n');
    assert.match(injected.id, /^[0-9a-f]{8}$/);
    // The injected consts shadow the defaults, type-checked.
    assert.deepEqual(use.outputs, [{ output_type: "stream", name: "stdout", text: ["0.5 WORLD 2\n"] }]);
    assert.equal(await readFile(input, "utf8"), before);
    assert.throws(() => parseRunArguments([input, "-p", "2fast=1"]), /"2fast" is not a TypeScript identifier/);
    assert.throws(() => parseRunArguments([input, "-p", "novalue"]), /expected name=value/);
  });

  it("--timeout interrupts a cell and names it; the kernel lives on for --allow-errors", async () => {
    const input = await write("slow.ipynb", notebookOf('let spins = 0;\n"ready"', "for (;;) spins++;", "await new Promise(() => {})", "spins > 0"));
    const output = path.join(dir, "slow-out.ipynb");
    assert.equal(await runNotebook([input, "-o", output, "-q", "--timeout", "1", "--allow-errors"]), 1);
    const cells = (await read(output)).cells;
    for (const cell of [2, 3]) {
      assert.deepEqual(cells[cell].outputs.map((o: { ename: string; evalue: string }) => [o.ename, o.evalue]), [["CellTimeoutError", `cell ${cell + 1} timed out after 1 s: it was interrupted`]]);
    }
    assert.deepEqual(cells[4].outputs[0].data["text/plain"], ["true"]);
    assert.throws(() => parseRunArguments([input, "--timeout", "soon"]), /--timeout soon: expected a positive number of seconds/);
  });

  it("--timeout kills a kernel whose cell ignores the interrupt, and stops", async () => {
    const input = await write("stuck.ipynb", notebookOf("await new Promise((resolve) => setTimeout(resolve, 10));\nfor (;;) {}", "1"));
    const output = path.join(dir, "stuck-out.ipynb");
    assert.equal(await runNotebook([input, "-o", output, "-q", "--timeout", "1", "--allow-errors"]), 1);
    const cells = (await read(output)).cells;
    assert.equal(cells[1].outputs[0].ename, "CellTimeoutError");
    assert.equal(cells[1].outputs[0].evalue, "cell 2 timed out after 1 s: it ignored the interrupt, so the kernel was killed");
    assert.equal(cells[2].execution_count, null, "no kernel is left to run the next cell");
  });

  it("reports a kernel that dies with the cell that killed it, and leaves the input alone", async () => {
    for (const [kill, how] of [["process.exit(3)", "exit code 3"], ['process.kill(process.pid, "SIGSEGV")', "signal SIGSEGV"]]) {
      const input = await write("dies.ipynb", notebookOf('console.log("before")', kill, '"never"'));
      const before = await readFile(input, "utf8");
      const output = path.join(dir, "dies-out.ipynb");
      assert.equal(await runNotebook([input, "-o", output, "-q", "--force", "--allow-errors"]), 1);
      const cells = (await read(output)).cells;
      assert.deepEqual(cells[1].outputs, [{ output_type: "stream", name: "stdout", text: ["before\n"] }]);
      assert.deepEqual(cells[2].outputs.map((o: { ename: string; evalue: string }) => [o.ename, o.evalue]), [["DeadKernelError", `the kernel died while running cell 3 (${how})`]]);
      assert.equal(cells[3].execution_count, null);
      assert.equal(await readFile(input, "utf8"), before);
    }
  });

  it("--inplace writes the input, --force replaces an existing --output", async () => {
    const input = await write("in.ipynb", notebookOf("6 * 7"));
    const existing = await write("existing.ipynb", { keep: "me" });
    assert.equal(await runNotebook([input, "-o", existing, "-q", "--force"]), 0);
    assert.deepEqual((await read(existing)).cells[1].outputs[0].data["text/plain"], ["42"]);
    assert.equal(await runNotebook([input, "--inplace", "-q"]), 0);
    assert.deepEqual((await read(input)).cells[1].outputs[0].data["text/plain"], ["42"]);
  });
});

describe("closed stdout or stderr (tsnnx ... | head)", function () {
  this.timeout(120000);
  const cli = path.resolve("dist/src/cli.js");
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "tsnnx-pipe-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  // Far more than a pipe's buffer, so the writer meets the closed pipe for certain.
  const chatty = notebookOf('for (let i = 0; i < 20000; i++) console.log(`line ${i} ${"x".repeat(60)}`)', "1");
  const pipeline = (command: string) => spawnSync("bash", ["-c", `${command} | head -1; echo "status=\${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 90_000 });

  for (const [name, redirect] of [["stdout", ""], ["stderr joined to stdout", "2>&1"]]) {
    it(`ends tsnnx run quietly with status 141 when ${name} closes`, async () => {
      const file = path.join(dir, "chatty.ipynb");
      await writeFile(file, JSON.stringify(chatty));
      const result = pipeline(`node ${cli} run ${file} ${redirect}`);
      assert.equal(result.error, undefined, "the pipeline ended");
      const lines = result.stdout.trimEnd().split("\n");
      assert.equal(lines.at(-1), "status=141");
      assert.doesNotMatch(result.stderr, /EPIPE|Error/);
    });
  }

  it("ends tsnnx test the same way", async () => {
    const notebooks = path.join(dir, "many");
    for (let i = 0; i < 3; i++) await mkdir(path.join(notebooks, `n${i}`), { recursive: true }).then(() => writeFile(path.join(notebooks, `n${i}`, "nb.ipynb"), JSON.stringify(notebookOf("1"))));
    const test = pipeline(`node ${cli} test ${notebooks} 2>&1`);
    assert.equal(test.error, undefined);
    assert.match(test.stdout, /^PASS .*n0\/nb\.ipynb .*\nstatus=(141|0)\n$/);
  });

  it("ends tsnnx ckpt with 141 when its stdout was closed before it wrote", async () => {
    const fixture = path.resolve("test/fixtures/orbax/checkpoint/orbax/checkpoint/experimental/v1/_src/testing/compatibility/checkpoints/v0_checkpoints/direct_checkpoint/checkpoint_metadata_present/pytree_checkpointable_has_metadata");
    const child = spawn(process.execPath, [cli, "ckpt", "show", fixture], { stdio: ["ignore", "pipe", "pipe"] });
    // The reader goes away before the command writes a byte: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text) => (stderr += text));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 141, stderr);
    assert.equal(stderr, "");
  });
});
