/**
 * The docs pages ported cell by cell to TypeScript (Flax "Flax basics", Flax
 * "Save and load checkpoints", Orbax "Checkpointing with CheckpointManager")
 * run as notebooks under the built `tsnnx test` and `jupyter nbconvert --execute`, as CI runs them: no cell may
 * fail and every `check-output` cell must reproduce its saved outputs. The
 * saved outputs themselves are held here against what the pages' own flow
 * gives, worked out by hand (step arithmetic of the manager options, counter
 * increments), so a wrong saved output cannot pass by reproducing itself.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { cellById, cellMime, cellStdout, executeWithNbconvert, executionProblems, readNotebook, type Notebook } from "../e2e/notebook-run.js";
import { scratchJupyterWithTsnnx } from "../e2e/tsnnx-kernelspec.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const portsDir = path.join(repoRoot, "test/notebooks");
const cli = path.join(repoRoot, "dist/src/cli.js");

function plainResult(notebook: Notebook, id: string): string {
  const values = cellMime(cellById(notebook, id), "text/plain");
  assert.equal(values.length, 1, `cell ${id} should show one text/plain result, shows ${JSON.stringify(values)}`);
  return values[0].replace(/\s+/g, "");
}

describe("docs pages ported to notebooks (test/notebooks)", function () {
  this.timeout(10 * 60_000);

  it("pass under tsnnx test: no error, check-output cells reproduce their saved outputs", function () {
    const run = spawnSync(process.execPath, [cli, "test", portsDir], { cwd: repoRoot, encoding: "utf8", timeout: 9 * 60_000 });
    assert.equal(run.status, 0, `tsnnx test failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^3 passed, 0 failed$/m);
  });

  it("Flax basics: the counter and the functional API's count step by one", async function () {
    const notebook = await readNotebook(path.join(portsDir, "flax-nnx-basics.ipynb"));
    assert.equal(cellStdout(cellById(notebook, "basics-06")), "counter.count.value = 0\ncounter.count.value = 1\n");
    // One forward pass in the constructor's cell, one through split/merge/update.
    assert.equal(cellStdout(cellById(notebook, "basics-20")), "stateful.count.value = 1\nstateful.count.value = 2\n");
    assert.match(cellStdout(cellById(notebook, "basics-12")), /^loss = \d+\.\d+\noptimizer\.step\.value = 1\n$/);
    assert.equal(cellStdout(cellById(notebook, "basics-14")), "y.shape = [3,10]\n");
  });

  it("Save and load checkpoints: both checkpoints are on disk", async function () {
    const notebook = await readNotebook(path.join(portsDir, "flax-checkpointing.ipynb"));
    assert.equal(plainResult(notebook, "ckpt-13"), "['pure_dict','state']");
  });

  it("CheckpointManager: steps kept and saved follow maxToKeep 3 and saveIntervalSteps 2", async function () {
    const notebook = await readNotebook(path.join(portsDir, "orbax-checkpoint-manager.ipynb"));
    // Steps 0..10, every other one saved (0, 2, ..., 10), the newest three kept.
    assert.equal(plainResult(notebook, "mngr-14"), "[6,8,10]");
    assert.equal(plainResult(notebook, "mngr-15"), "10");
    assert.equal(plainResult(notebook, "mngr-16"), "false");
    assert.equal(plainResult(notebook, "mngr-13"), "[42,43]");
    // The recipe's steps 0..9 save 0, 2, ..., 8; step 8 has had 9 increments of arange(16) and ones(16).
    assert.equal(cellStdout(cellById(notebook, "mngr-28")), "[ 4, 6, 8 ]\n");
    const a = Array.from({ length: 16 }, (_, i) => i + 9);
    const b = Array.from({ length: 16 }, () => 10);
    assert.equal(plainResult(notebook, "mngr-28"), `{a:[${a.join(",")}],b:[${b.join(",")}]}`);
  });
});

describe("docs pages ported to notebooks, under jupyter nbconvert --execute", function () {
  this.timeout(15 * 60_000);
  const jupyter = scratchJupyterWithTsnnx();

  for (const file of ["flax-nnx-basics.ipynb", "flax-checkpointing.ipynb", "orbax-checkpoint-manager.ipynb"]) {
    it(`${file} runs with no error output`, async function () {
      const executed = await executeWithNbconvert(jupyter(), path.join(portsDir, file));
      assert.deepEqual(executionProblems(executed), []);
      assert.deepEqual(
        executed.cells.filter((c) => c.cell_type === "code").map((c) => c.execution_count),
        executed.cells.filter((c) => c.cell_type === "code").map((_, i) => i + 1),
      );
    });
  }
});
