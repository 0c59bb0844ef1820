/**
 * The notebook runners, proven on ipykernel with a notebook written here:
 * nbconvert and papermill execute every cell, record execution counts and
 * outputs in a copy, inject papermill parameters, and fail loudly on an error.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createJupyterEnv, removeJupyterEnv, type JupyterEnv } from "./jupyter.js";
import {
  cellMime,
  cellStdout,
  codeCells,
  executeWithNbconvert,
  executeWithPapermill,
  executionProblems,
  type Notebook,
  type NotebookCell,
} from "./notebook-run.js";

function code(source: string, tags: string[] = []): NotebookCell {
  return { cell_type: "code", source, metadata: tags.length ? { tags } : {}, execution_count: null, outputs: [] };
}

function pythonNotebook(cells: NotebookCell[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3", language: "python" },
      language_info: { name: "python" },
    },
    cells: [{ cell_type: "markdown", source: "# runner check", metadata: {} }, ...cells],
  };
}

describe("notebook runners on ipykernel (nbconvert, papermill)", function () {
  this.timeout(300_000);
  let jenv: JupyterEnv;
  let source: string;
  let committedText: string;

  before(async function () {
    this.timeout(30 * 60_000);
    jenv = await createJupyterEnv();
    source = path.join(jenv.root, "runner-check.ipynb");
    committedText = JSON.stringify(
      pythonNotebook([
        code("steps = 2", ["parameters"]),
        code("total = sum(range(steps + 1))\nprint('total', total)"),
        code("total * 10"),
      ]),
    );
    await writeFile(source, committedText);
  });

  after(async () => {
    if (jenv) await removeJupyterEnv(jenv);
  });

  it("nbconvert --execute numbers every code cell and records outputs in a copy", async function () {
    const executed = await executeWithNbconvert(jenv, source);
    assert.deepEqual(executionProblems(executed), []);
    const cells = codeCells(executed);
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3]);
    assert.equal(cellStdout(cells[1]), "total 3\n");
    assert.deepEqual(cellMime(cells[2], "text/plain"), ["30"]);
    assert.equal(await readFile(source, "utf8"), committedText, "the source notebook must not be rewritten");
  });

  it("papermill injects parameters after the tagged cell", async function () {
    const executed = await executeWithPapermill(jenv, source, { parameters: { steps: 4 } });
    assert.deepEqual(executionProblems(executed), []);
    const cells = codeCells(executed);
    assert.equal(cells.length, 4, "papermill adds one injected-parameters cell");
    assert.deepEqual(cells[1].metadata.tags, ["injected-parameters"]);
    assert.equal(cellStdout(cells[2]), "total 10\n");
    assert.deepEqual(cellMime(cells[3], "text/plain"), ["100"]);
  });

  it("a failing cell fails the run and names the error", async function () {
    const failing = path.join(jenv.root, "failing.ipynb");
    await writeFile(failing, JSON.stringify(pythonNotebook([code("raise RuntimeError('notebook boom')")])));
    await assert.rejects(executeWithNbconvert(jenv, failing), /notebook boom/);
    await assert.rejects(executeWithPapermill(jenv, failing), /notebook boom/);
  });
});
