/** `tsnnx test` as CI runs it: the built CLI in a child process, over a folder of notebooks. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { outputDifference } from "../../../src/kernel/notebook-cli/test-command.js";
import { notebookOf, stdout, writeNotebookFile } from "./notebooks.js";

const cli = path.resolve("dist/src/cli.js");
const tsnnxTest = (...args: string[]) => spawnSync(process.execPath, [cli, "test", ...args], { encoding: "utf8", timeout: 240_000 });

describe("tsnnx test (notebooks as tests)", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "tsnnx-test-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("runs a folder recursively, each notebook in a fresh kernel, one line each and one closing count", async () => {
    const files = {
      exits: await writeNotebookFile(path.join(dir, "a-exit.ipynb"), notebookOf("(globalThis as any).leftOver = 1", "process.exit(3)")),
      passes: await writeNotebookFile(
        path.join(dir, "b-pass.ipynb"),
        notebookOf(
          // A fresh process: nothing of the notebook before it is left.
          { source: 'console.log("left over:", typeof (globalThis as any).leftOver)', tags: ["check-output"], outputs: [stdout("left over: undefined\n")] },
          {
            source: 'console.log(`saved at ${new Date().toISOString()} in ${(1 + Math.random()).toFixed(2)} ms to ${require("node:os").tmpdir()}/run-${Math.random().toString(36).slice(2)}`)',
            tags: ["check-output"],
            outputs: [stdout("saved at 2020-01-02T03:04:05.678Z in 9.99 ms to /tmp/run-abc123\n")],
          },
          // Not tagged: its saved output is not compared.
          { source: "Math.random()", outputs: [stdout("anything\n")] },
        ),
      ),
      throws: await writeNotebookFile(path.join(dir, "sub", "c-error.ipynb"), notebookOf("1", 'throw new TypeError("no such model")')),
      differs: await writeNotebookFile(
        path.join(dir, "sub", "d-mismatch.ipynb"),
        notebookOf({ source: 'console.log("step 1");\nconsole.log("loss", 0.25)', tags: ["check-output"], outputs: [stdout("step 1\nloss 0.5\n")] }),
      ),
      late: await writeNotebookFile(
        path.join(dir, "sub", "deeper", "e-late.ipynb"),
        notebookOf('setTimeout(() => { throw new RangeError("late failure"); }, 0); "started"', "await new Promise((resolve) => setTimeout(resolve, 200))"),
      ),
    };
    await writeNotebookFile(path.join(dir, ".ipynb_checkpoints", "b-pass-checkpoint.ipynb"), notebookOf('throw new Error("a checkpoint copy must not run")'));
    await writeFile(path.join(dir, "notes.txt"), "not a notebook");
    const before = await Promise.all(Object.values(files).map((file) => readFile(file, "utf8")));

    const run = tsnnxTest(dir);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(run.status, 1, run.stderr);
    assert.equal(lines.length, 6, run.stdout);
    assert.equal(lines[0], `FAIL ${files.exits}: cell 3: DeadKernelError: the kernel died while running cell 3 (exit code 3)`);
    assert.match(lines[1], new RegExp(`^PASS ${files.passes} \\(\\d+\\.\\d s\\)$`));
    assert.equal(lines[2], `FAIL ${files.throws}: cell 3: TypeError: no such model`);
    assert.equal(lines[3], `FAIL ${files.differs}: cell 2 (check-output): output 1 (stdout) differs at line 2: saved "loss 0.5", got "loss 0.25"`);
    assert.equal(lines[4], `FAIL ${files.late}: cell 2: RangeError: late failure (an error after the cell ended)`);
    assert.equal(lines[5], "1 passed, 4 failed");
    const after = await Promise.all(Object.values(files).map((file) => readFile(file, "utf8")));
    assert.deepEqual(after, before, "tsnnx test never writes the notebooks");
  });

  it("exits 0 when every notebook passes, and fails a path that is not there", async () => {
    const ok = await writeNotebookFile(path.join(dir, "ok", "ok.ipynb"), notebookOf({ source: 'console.log("hi")', tags: ["check-output"], outputs: [stdout("hi\n")] }));
    const passing = tsnnxTest(ok);
    assert.equal(passing.status, 0, passing.stdout + passing.stderr);
    assert.equal(passing.stdout.trimEnd().split("\n").at(-1), "1 passed, 0 failed");
    const missing = tsnnxTest(ok, path.join(dir, "nowhere"));
    assert.equal(missing.status, 1);
    assert.deepEqual(missing.stdout.trimEnd().split("\n").slice(0, 1).concat(missing.stdout.trimEnd().split("\n").at(-1)!), [
      `FAIL ${path.join(dir, "nowhere")}: no such file or folder`,
      "1 passed, 1 failed",
    ]);
  });
});

describe("outputDifference (check-output comparison)", () => {
  const display = (text: string, html?: string) => ({ output_type: "display_data", metadata: {}, data: { "text/plain": [text], ...(html ? { "text/html": [html] } : {}) } });
  it("matches outputs that differ only in volatile parts", () => {
    assert.equal(outputDifference([stdout("took 3.2 ms at 10:11:12\n")], [stdout("took 0.4 ms at 23:59:01\n")]), null);
  });
  it("names the output, the mime type and the line that differ", () => {
    assert.equal(outputDifference([display("a", "<b>x</b>")], [display("a", "<b>y</b>")]), 'output 1 text/html differs at line 1: saved "<b>x</b>", got "<b>y</b>"');
    assert.equal(outputDifference([display("a", "<b>x</b>")], [display("a")]), 'output 1 (display_data) differs at line 1: saved "text/html, text/plain", got "text/plain"');
    assert.equal(outputDifference([stdout("a\n")], []), 'output 1 (stdout) is missing (saved: "a")');
    assert.equal(outputDifference([], [stdout("a\n")]), 'an extra output 1 (stdout): "a"');
  });
});
