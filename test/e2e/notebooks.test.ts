/**
 * The tutorial notebooks in notebooks/ are committed with their outputs, run
 * top to bottom on the tsnnx kernel under nbconvert and papermill, and
 * headless under `tsnnx run`, and show what their text says they show, both
 * in the committed outputs and in fresh ones.
 * The executed copies go to a scratch folder; the committed files stay as they are.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { repoRoot, runVenvTool, type JupyterEnv } from "./jupyter.js";
import {
  cellById,
  cellMime,
  cellStdout,
  codeCells,
  executeWithNbconvert,
  executeWithTsnnxRun,
  executionProblems,
  readNotebook,
  type Notebook,
  type NotebookCell,
} from "./notebook-run.js";
import { scratchJupyterWithTsnnx, tsnnxKernelName } from "./tsnnx-kernelspec.js";
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

/**
 * papermill as one runs a notebook that reads data beside it: `--cwd` its own folder (nbconvert
 * and tsnnx run start the kernel there by themselves; papermill starts it where papermill runs).
 */
async function executeWithPapermillInItsFolder(jenv: JupyterEnv, source: string): Promise<Notebook> {
  const output = path.join(jenv.workDir, `${path.basename(source, ".ipynb")}.papermill.ipynb`);
  const args = [source, output, "--cwd", path.dirname(source), "--execution-timeout", "600", "--no-progress-bar"];
  await runVenvTool(jenv, "papermill", args, 20 * 60_000);
  return readNotebook(output);
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

function checkCheckpointing(notebook: Notebook): void {
  assert.equal(cellStdout(cellById(notebook, "checkpointing-01")), "checkpoints go to checkpoints/02-checkpointing/\n");
  const state = textResult(notebook, "checkpointing-state");
  for (const part of ["linear1", "bn", "linear2", "Param", "BatchStat", "mean", "var"]) assert.ok(state.includes(part), `state shows no ${part}:\n${state}`);
  assert.equal(
    cellStdout(cellById(notebook, "checkpointing-filters-code")),
    "Params:     bn.bias, bn.scale, linear1.bias, linear1.kernel, linear2.bias, linear2.kernel\nBatchStats: bn.mean, bn.var\n",
  );
  // nnx.update copies the clone's running mean into the model: the last line repeats the first.
  const split = cellStdout(cellById(notebook, "checkpointing-split-code")).split("\n");
  assert.equal(split[0], "merge gives an MLP with 8 Variables");
  const means = split.slice(1, 4).map((line) => line.split(": ")[1].trim());
  assert.equal(means[1], "0.0000,0.0000,0.0000");
  assert.equal(means[2], means[0]);
  assert.notEqual(means[0], means[1]);
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
  assert.equal(cellStdout(cellById(notebook, "checkpointing-optimizer-save")), "[ '_CHECKPOINT_METADATA', 'model', 'optimizer' ]\n");
  // Adam (a chain of scale_by_adam and a stateless scale): count, mu and nu per Param, and the step.
  const optimizerPaths = textResult(notebook, "checkpointing-optimizer-save");
  assert.equal((optimizerPaths.match(/'opt_state\.0\.(mu|nu)\./g) ?? []).length, 12);
  assert.match(optimizerPaths, /'opt_state\.0\.count'/);
  assert.match(optimizerPaths, /'step'/);
  assert.match(cellStdout(cellById(notebook, "checkpointing-resume-code")), /^step 6: original (\d\.\d{4}), resumed \1, equal: true\noptimizer steps: 6 and 6\n$/);
  const mismatch = cellStdout(cellById(notebook, "checkpointing-pure-save"));
  assert.match(mismatch, /^The checkpoint at checkpoints\/02-checkpointing\/pure\/1\/default does not match the restore template \(1 difference\):\n/);
  assert.match(mismatch, /^  outBias: in the template but not in the checkpoint$/m);
  assert.equal(cellStdout(cellById(notebook, "checkpointing-pure-edit-code")), "version 2 computes what the old model did: true\n");
  // MLP(2, 8, 1): Params 2*8+8 + 8+8 + 8*1+1 = 49, BatchStats 8+8 = 16.
  const evalShape = cellMime(cellById(notebook, "checkpointing-magics-eval-shape"), "text/plain").join("\n");
  assert.match(evalShape, /kernel: Param float32\[2,8\] abstract /);
  assert.match(evalShape, /Param: 49 \(196 B\)/);
  assert.match(evalShape, /BatchStat: 16 \(64 B\)/);
  assert.match(cellStdout(cellById(notebook, "checkpointing-magics-save")), /Saved step 6: [^\n]*\nSaved step 7: /);
  const history = cellMime(cellById(notebook, "checkpointing-magics-list"), "text/plain").join("\n");
  assert.match(history, /^\s*6\s.*\{?0\.5\b/m);
  assert.match(history, /^\s*7\s.*\b0\.25\b/m);
  assert.match(cellStdout(cellById(notebook, "checkpointing-magics-restore")), /^Restored step 7 from .*\nrestored equals the live model: true\n$/s);
}

/** `step N: train X  val Y` lines of a cell's stdout, by step. */
function trainingLines(notebook: Notebook, id: string): Map<number, string> {
  return new Map([...cellStdout(cellById(notebook, id)).matchAll(/^step (\d+): (.*)$/gm)].map((m) => [Number(m[1]), m[2]]));
}

function checkTraining(notebook: Notebook): void {
  assert.equal(cellStdout(cellById(notebook, "training-01")), "checkpoints go to checkpoints/03-training/\n");
  const before = trainingLines(notebook, "training-07");
  // saveIntervalSteps 10 (and the first step, which Orbax always saves), then every step after 40 until the crash.
  assert.deepEqual([...before.keys()], [1, 10, 20, 30, 40, 41, 42, 43, 44, 45]);
  for (const step of [1, 10, 20, 30, 40]) assert.match(before.get(step)!, /\(saved\)$/);
  assert.match(cellStdout(cellById(notebook, "training-07")), /^!! simulated crash during step 46$/m);
  assert.match(cellStdout(cellById(notebook, "training-09")), /^longest save\(\) call that saved: \d+\.\d ms\n$/);
  // maxToKeep 3 with bestFn: the three lowest validation losses among steps 1, 10, ..., 40 stay.
  const val = (step: number) => Number(/val (\d+\.\d+)/.exec(before.get(step)!)![1]);
  const bestThree = [1, 10, 20, 30, 40].sort((a, b) => val(a) - val(b)).slice(0, 3).sort((a, b) => a - b);
  const kept = trainingLines(notebook, "training-11");
  assert.deepEqual([...kept.keys()], bestThree);
  for (const step of bestThree) assert.equal(kept.get(step), `val_loss ${val(step).toFixed(4)}`);
  const bestStep = bestThree.reduce((a, b) => (val(a) <= val(b) ? a : b));
  assert.match(cellStdout(cellById(notebook, "training-11")), new RegExp(`^latest step ${Math.max(...bestThree)}, best step ${bestStep}$`, "m"));
  // The resume starts after the latest kept step and repeats the crashed run's losses exactly.
  const resumed = cellStdout(cellById(notebook, "training-13"));
  const start = Math.max(...bestThree);
  assert.match(resumed, new RegExp(`^resumed at step ${start}; the optimizer has taken ${start} steps$`, "m"));
  const after = trainingLines(notebook, "training-13");
  for (let step = start + 1; step <= 45; step++) {
    const trainBefore = /train (\d+\.\d+)/.exec(before.get(step)!)![1];
    assert.equal(after.get(step), `train ${trainBefore}  (before the crash: ${trainBefore}, same: true)`);
  }
  assert.match(resumed, new RegExp(`^${45 - start} repeated steps, then on to step 60$`, "m"));
  assert.ok(after.has(60), "the resumed run reaches step 60");
  const keptNow = /^kept now: steps ([\d, ]+); latest (\d+), best (\d+)$/m.exec(resumed);
  assert.ok(keptNow, `no 'kept now' line in:\n${resumed}`);
  assert.equal(keptNow[1].split(", ").length, 3);
  const history = cellMime(cellById(notebook, "training-15"), "text/plain");
  assert.equal(history.length, 2, "the manager displays a table and a chart");
  assert.match(history[0], new RegExp(`best step ${keptNow[3]}`));
  const bestLine = /^best step (\d+): val_loss recomputed (\d+\.\d+), recorded (\d+\.\d+)\n$/.exec(cellStdout(cellById(notebook, "training-17")));
  assert.ok(bestLine);
  assert.equal(bestLine[1], keptNow[3]);
  assert.equal(bestLine[2], bestLine[3]);
}

function checkInterop(notebook: Notebook): void {
  assert.equal(cellStdout(cellById(notebook, "interop-01")), "reading data/python-mlp/, writing checkpoints/04-interop/\n");
  // The committed Python checkpoints: steps 10, 20, 30 saved, the two lowest losses kept.
  assert.match(cellStdout(cellById(notebook, "interop-03")), /^step 20: loss 0\.\d{6}\nstep 30: loss 0\.\d{6}\nlatest 30, best 30\n$/);
  const items = cellStdout(cellById(notebook, "interop-06"));
  for (const item of ["config", "metrics", "model", "optimizer"]) assert.match(items, new RegExp(`'${item}'`));
  assert.match(items, /written_by: 'Python Orbax \+ Flax NNX'/);
  const tree = cellStdout(cellById(notebook, "interop-08"));
  assert.match(tree, /^model: 8 arrays$/m);
  assert.match(tree, /^ {2}linear1\.kernel\.value +float32 +\[2,16\]$/m);
  assert.match(tree, /^optimizer: 14 arrays$/m);
  assert.equal(compact(textResult(notebook, "interop-10")), "{din:2,dhidden:16,dout:1,seed:0,learning_rate:0.02}");
  assert.equal(cellStdout(cellById(notebook, "interop-14")), "largest difference from Python's predictions: below 1e-5\n");
  const bf16 = cellStdout(cellById(notebook, "interop-16"));
  assert.match(bf16, /^8 arrays converted, e\.g\. \S+: bfloat16 -> float32\n/);
  assert.match(bf16, /^largest difference from Python's bfloat16 predictions: below 1e-5$/m);
  assert.match(cellStdout(cellById(notebook, "interop-18")), /^resuming after Python's step 30, loss then 0\.\d{4}\nstep 40: loss 0\.\d{4}\n$/);
  assert.match(cellStdout(cellById(notebook, "interop-19")), /'eval'/);
}

const notebooks: { file: string; check: (notebook: Notebook) => void; devicePrintedBy?: string }[] = [
  { file: "01-quickstart.ipynb", check: checkQuickstart, devicePrintedBy: "quickstart-02" },
  { file: "02-checkpointing.ipynb", check: checkCheckpointing },
  { file: "03-training-with-a-manager.ipynb", check: checkTraining },
  { file: "04-orbax-interop.ipynb", check: checkInterop },
];

/**
 * Cells whose committed outputs still name an absolute folder of the machine that ran them: the
 * magics and the checkpoint history display print absolute checkpoint paths. Every other cell
 * must show paths relative to the notebook.
 */
const absolutePathCells = new Set([
  "checkpointing-magics-dir",
  "checkpointing-magics-save",
  "checkpointing-magics-list",
  "checkpointing-magics-restore",
  "training-15",
  "interop-04",
]);

describe("tutorial notebooks on the tsnnx kernel", function () {
  this.timeout(15 * 60_000);
  const jupyter = scratchJupyterWithTsnnx();

  for (const { file, check, devicePrintedBy } of notebooks) {
    const source = path.join(notebooksDir, file);

    describe(file, function () {
      let committed: string;
      before(async () => (committed = await readFile(source, "utf8")));
      after(async () => assert.equal(await readFile(source, "utf8"), committed, `${file} was rewritten by a run`));

      it("is committed executed, with outputs that show what its text says, for the tsnnx kernel, valid nbformat", async function () {
        await runVenvTool(jupyter(), "python", ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", source], 60_000);
        const notebook = await readNotebook(source);
        assert.equal(notebook.metadata.kernelspec?.name, tsnnxKernelName);
        assert.equal(notebook.metadata.kernelspec?.language, "typescript");
        assert.deepEqual(executionProblems(notebook), []);
        assert.deepEqual(
          codeCells(notebook).map((c) => c.execution_count),
          codeCells(notebook).map((_, i) => i + 1),
        );
        check(notebook);
        for (const cell of codeCells(notebook)) {
          const id = (cell as NotebookCell & { id?: string }).id ?? "";
          if (absolutePathCells.has(id)) continue;
          const outputs = JSON.stringify(cell.outputs);
          assert.ok(!outputs.includes(repoRoot) && !outputs.includes(os.tmpdir()), `cell ${id} saved an absolute path of this machine: ${outputs.slice(0, 300)}`);
        }
      });

      it("runs under jupyter nbconvert --execute", async function () {
        const executed = await executeWithNbconvert(jupyter(), source);
        assert.deepEqual(executionProblems(executed), []);
        assert.deepEqual(
          codeCells(executed).map((c) => c.execution_count),
          codeCells(executed).map((_, i) => i + 1),
        );
        check(executed);
      });

      it("runs under papermill", async function () {
        const executed = await executeWithPapermillInItsFolder(jupyter(), source);
        assert.deepEqual(executionProblems(executed), []);
        check(executed);
      });

      it("runs on webgpu (TSNNX_DEVICE=webgpu) under jupyter nbconvert --execute", async function () {
        if (!testDevices.includes("webgpu")) {
          console.log("      skipped: no WebGPU adapter on this machine");
          this.skip();
        }
        const executed = await executeWithNbconvert(jupyter(), source, { env: { TSNNX_DEVICE: "webgpu" }, label: "webgpu" });
        assert.deepEqual(executionProblems(executed), []);
        check(executed);
        if (devicePrintedBy) assert.match(cellStdout(cellById(executed, devicePrintedBy)), /^default device: webgpu\n/);
      });

      it("runs under tsnnx run (headless, without Jupyter)", async function () {
        const executed = await executeWithTsnnxRun(jupyter(), source);
        assert.deepEqual(executionProblems(executed), []);
        check(executed);
      });
    });
  }
});
