/**
 * The tutorial notebooks in notebooks/ run top to bottom on the tsnnx kernel
 * under nbconvert and papermill, and headless under `tsnnx run`, and show
 * what their text says they show.
 * The executed copies go to a scratch folder; the committed files stay as they are.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createJupyterEnv, removeJupyterEnv, repoRoot, runVenvTool, type JupyterEnv } from "./jupyter.js";
import {
  cellById,
  cellMime,
  cellStdout,
  codeCells,
  executeWithNbconvert,
  executeWithPapermill,
  executeWithTsnnxRun,
  executionProblems,
  readNotebook,
  type Notebook,
} from "./notebook-run.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";
import { testDevices } from "../helpers/devices.js";

const notebooksDir = path.join(repoRoot, "notebooks");

/** util.inspect output of a JS value, compared without its line breaks and indentation. */
function compact(text: string): string {
  return text.replace(/\s+/g, "");
}

function textResult(notebook: Notebook, id: string): string {
  const values = cellMime(cellById(notebook, id), "text/plain");
  assert.equal(values.length, 1, `cell ${id} should show one text/plain result, shows ${JSON.stringify(values)}`);
  return values[0];
}

function checkQuickstart(notebook: Notebook): void {
  assert.match(cellStdout(cellById(notebook, "quickstart-02")), /^default device: (wasm|webgpu)\ninitialised devices: .*wasm/);
  // [[1,2,3],[4,5,6]] @ ones(3,2), by hand.
  assert.equal(compact(textResult(notebook, "quickstart-04")), "[[6,6],[15,15]]");
  const modelRepr = textResult(notebook, "quickstart-06");
  assert.match(modelRepr, /MLP/);
  assert.match(modelRepr, /linear1/);
  assert.equal(compact(textResult(notebook, "quickstart-08")), "[64,2]");
  const losses = [...cellStdout(cellById(notebook, "quickstart-10")).matchAll(/^step (\d+): loss (\d+\.\d+)$/gm)].map((m) => ({
    step: Number(m[1]),
    loss: Number(m[2]),
  }));
  assert.deepEqual(losses.map((l) => l.step), [0, 10, 20, 30, 40, 50, 59]);
  // The target is linear in the inputs: Adam must cut the error well down within 60 steps.
  assert.ok(losses[6].loss < losses[0].loss / 4, `loss did not fall enough: ${JSON.stringify(losses)}`);
  const stateRepr = textResult(notebook, "quickstart-12");
  for (const part of ["linear1", "linear2", "kernel", "bias"]) assert.ok(stateRepr.includes(part), `state shows no ${part}:\n${stateRepr}`);
}

function checkCheckpointing(notebook: Notebook, jenv: JupyterEnv): void {
  const folder = /scratch folder: (\S+)/.exec(cellStdout(cellById(notebook, "checkpointing-01")))?.[1];
  assert.ok(folder, "the notebook names its scratch folder");
  const saves = cellById(notebook, "checkpointing-05");
  assert.equal(cellStdout(saves).match(/^saved step \d, loss \d+\.\d+$/gm)?.length, 5);
  // maxToKeep: 3 of steps 1..5.
  assert.equal(compact(textResult(notebook, "checkpointing-05")), "[3,4,5]");
  assert.equal(compact(textResult(notebook, "checkpointing-07")), "['3','4','5']");
  // The metrics a fresh manager reads back are those printed when each kept step was saved.
  const saved = [...cellStdout(saves).matchAll(/^saved step (\d), loss (\d+\.\d+)$/gm)].map((m) => `step ${m[1]}: loss ${m[2]}\n`);
  assert.equal(cellStdout(cellById(notebook, "checkpointing-09")), saved.slice(2).join(""));
  assert.equal(cellStdout(cellById(notebook, "checkpointing-11")), "restored step 5\n");
  assert.equal(cellStdout(cellById(notebook, "checkpointing-13")), "restored predictions equal the trained model's: true\n");
  assert.equal(existsSync(path.join(jenv.tmpDir, folder)), false, "the notebook removes its checkpoints");
}

const notebooks: { file: string; check: (notebook: Notebook, jenv: JupyterEnv) => void; devicePrintedBy?: string }[] = [
  { file: "01-quickstart.ipynb", check: checkQuickstart, devicePrintedBy: "quickstart-02" },
  { file: "02-checkpointing.ipynb", check: checkCheckpointing },
];

describe("tutorial notebooks on the tsnnx kernel", function () {
  this.timeout(15 * 60_000);
  let jenv: JupyterEnv;

  before(async function () {
    this.timeout(30 * 60_000);
    jenv = await createJupyterEnv();
    await installTsnnxKernel(jenv);
  });

  after(async () => {
    if (jenv) await removeJupyterEnv(jenv);
  });

  for (const { file, check, devicePrintedBy } of notebooks) {
    const source = path.join(notebooksDir, file);

    describe(file, function () {
      let committed: string;
      before(async () => (committed = await readFile(source, "utf8")));
      after(async () => assert.equal(await readFile(source, "utf8"), committed, `${file} was rewritten by a run`));

      it("is committed clean, for the tsnnx kernel, and valid nbformat", async function () {
        await runVenvTool(jenv, "python", ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", source], 60_000);
        const notebook = await readNotebook(source);
        assert.equal(notebook.metadata.kernelspec?.name, tsnnxKernelName);
        assert.equal(notebook.metadata.kernelspec?.language, "typescript");
        for (const cell of codeCells(notebook)) {
          assert.equal(cell.execution_count, null);
          assert.deepEqual(cell.outputs, []);
        }
      });

      it("runs under jupyter nbconvert --execute", async function () {
        const executed = await executeWithNbconvert(jenv, source);
        assert.deepEqual(executionProblems(executed), []);
        assert.deepEqual(
          codeCells(executed).map((c) => c.execution_count),
          codeCells(executed).map((_, i) => i + 1),
        );
        check(executed, jenv);
      });

      it("runs under papermill", async function () {
        const executed = await executeWithPapermill(jenv, source);
        assert.deepEqual(executionProblems(executed), []);
        check(executed, jenv);
      });

      it("runs on webgpu (TSNNX_DEVICE=webgpu) under jupyter nbconvert --execute", async function () {
        if (!testDevices.includes("webgpu")) {
          console.log("      skipped: no WebGPU adapter on this machine");
          this.skip();
        }
        const executed = await executeWithNbconvert(jenv, source, { env: { TSNNX_DEVICE: "webgpu" }, label: "webgpu" });
        assert.deepEqual(executionProblems(executed), []);
        check(executed, jenv);
        if (devicePrintedBy) assert.match(cellStdout(cellById(executed, devicePrintedBy)), /^default device: webgpu\n/);
      });

      it("runs under tsnnx run (headless, without Jupyter)", async function () {
        const executed = await executeWithTsnnxRun(jenv, source);
        assert.deepEqual(executionProblems(executed), []);
        check(executed, jenv);
      });
    });
  }
});
