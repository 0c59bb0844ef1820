/**
 * Checkpoints cross between a tsnnx notebook and Python: the cells of
 * notebooks/02-checkpointing.ipynb run on the tsnnx kernel through Jupyter and
 * save with a CheckpointManager; Python Orbax + Flax NNX restore the latest
 * step into the same MLP (with its BatchNorm statistics) and compute the same
 * predictions. Then Python saves a new step and the tutorial's restore flow
 * (evalShape template, merge) in the notebook reads it back. Last, Python
 * restores the model and optimizer items the tutorial saved side by side and
 * takes the next training step with the loss the notebook's resumed run had.
 * And notebooks/04-orbax-interop.ipynb, which starts from checkpoints Python
 * wrote, writes one that Python restores with the predictions it recorded.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { createJupyterEnv, removeJupyterEnv, repoRoot, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { describeExecution, execute, startKernel, type KernelConnection } from "./kernel-session.js";
import { cellById, cellStdout, executeWithTsnnxRun, executionProblems, joinText, readNotebook, type Notebook } from "./notebook-run.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

const pythonScript = path.join(repoRoot, "test/python/tutorial_interop.py");
const notebookInteropScript = path.join(repoRoot, "test/python/notebook_interop.py");

async function runPython<T>(jenv: JupyterEnv, args: string[], script = pythonScript): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(jenv.python, [script, ...args], { env: jenv.env, timeout: 5 * 60_000, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as T;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`${path.basename(script)} ${args.join(" ")} failed: ${e.message}\n${(e.stderr ?? "").split("\n").slice(-20).join("\n")}`);
  }
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  actual.forEach((value, i) => {
    const tolerance = 1e-5 * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(value - expected[i]) <= tolerance, `${what}[${i}]: ${value} vs ${expected[i]}`);
  });
}

describe("tutorial checkpoints between a tsnnx notebook and Python Orbax + Flax NNX", function () {
  this.timeout(10 * 60_000);
  let jenv: JupyterEnv;
  let server: JupyterServer;
  let session: KernelConnection;
  let tutorial: Notebook;
  let modelDir: string;

  async function run(code: string) {
    const execution = await execute(session.kernel, code);
    assert.equal(execution.reply.status, "ok", `cell failed:\n${code}\n${describeExecution(execution)}`);
    return execution;
  }

  const tutorialCell = (id: string) => run(joinText(cellById(tutorial, id).source));

  before(async function () {
    this.timeout(30 * 60_000);
    tutorial = await readNotebook(path.join(repoRoot, "notebooks/02-checkpointing.ipynb"));
    jenv = await createJupyterEnv();
    await installTsnnxKernel(jenv);
    server = await startJupyterServer(jenv);
    session = await startKernel(server, tsnnxKernelName);
  });

  after(async function () {
    this.timeout(60_000);
    await session?.close().catch(() => undefined); // The kernel may already be gone; the server stops it anyway.
    await server?.stop();
    if (jenv) await removeJupyterEnv(jenv);
  });

  /** An absolute path the kernel resolves (its working folder is the Jupyter server's, not this process's). */
  const kernelPath = async (expression: string) => (await run(`console.log(path.resolve(${expression}));`)).stdout.trim();

  it("Python restores the step the notebook saved last, with the same predictions and metrics", async function () {
    assert.match((await tutorialCell("checkpointing-01")).stdout, /^checkpoints go to checkpoints\/02-checkpointing\/\n$/);
    await tutorialCell("checkpointing-03");
    const saves = (await tutorialCell("checkpointing-05")).stdout;
    modelDir = await kernelPath("modelDir");
    const savedLoss = new Map([...saves.matchAll(/^saved step (\d), loss (\d+\.\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    // Eval mode: BatchNorm normalises with the running statistics the checkpoint carries.
    const ours = JSON.parse((await run("model.eval(); console.log(JSON.stringify((await model.call(xTrain).jsAsync()).flat())); model.train();")).stdout) as number[];

    const python = await runPython<{ all_steps: number[]; latest_step: number; metrics: Record<string, { loss: number }>; predictions: number[] }>(
      jenv,
      ["read", modelDir],
    );
    assert.deepEqual(python.all_steps, [3, 4, 5]);
    assert.equal(python.latest_step, 5);
    for (const step of ["3", "4", "5"]) {
      // The notebook printed each loss to 4 decimals.
      assert.ok(Math.abs(python.metrics[step].loss - savedLoss.get(step)!) <= 5e-5, `step ${step}: ${python.metrics[step].loss} vs ${savedLoss.get(step)}`);
    }
    assertClose(ours, python.predictions, "predictions of the model Python restored");
  });

  it("the notebook's restore flow reads a step Python Orbax saved", async function () {
    const python = await runPython<{ predictions: number[] }>(jenv, ["write", modelDir, "6"]);
    const execution = await run(
      [
        "const fromPython = new ocp.CheckpointManager(modelDir, { readOnly: true });",
        "const pythonStep = fromPython.latestStep();",
        "const [pyGraphdef, pyAbstract] = nnx.split(nnx.evalShape(() => new MLP(2, 8, 1, { rngs: new nnx.Rngs(0) })));",
        "const pyState = (await fromPython.restore(pythonStep, { args: ocp.args.StandardRestore(pyAbstract) })) as nnx.State;",
        "const pyModel = nnx.merge<MLP>(pyGraphdef, pyState);",
        "pyModel.eval();",
        "console.log(JSON.stringify({ step: pythonStep, predictions: (await pyModel.call(xTrain).jsAsync()).flat() }));",
        "await fromPython.close();",
      ].join("\n"),
    );
    const ours = JSON.parse(execution.stdout) as { step: number; predictions: number[] };
    assert.equal(ours.step, 6);
    assertClose(ours.predictions, python.predictions, "predictions of the model tsnnx restored from Python's step");
  });

  it("Python resumes training from the model and optimizer the notebook saved side by side", async function () {
    await tutorialCell("checkpointing-filters-code"); // defines the `paths` helper the next cell uses
    await tutorialCell("checkpointing-optimizer-save");
    const trainDir = await kernelPath("trainDir");
    await tutorialCell("checkpointing-resume-code");
    const notebook = JSON.parse((await run("console.log(JSON.stringify({ original, resumed }));")).stdout) as { original: number; resumed: number };
    assert.equal(notebook.resumed, notebook.original, "the notebook's own resume reproduces the next step");
    const python = await runPython<{ loss: number; optimizer_step: number }>(jenv, ["train", trainDir, "5"]);
    // The loss of step 6 depends on the restored parameters and BatchNorm statistics; the optimizer's
    // count must carry over for the update that follows.
    assertClose([python.loss], [notebook.original], "loss of the step Python took after restoring");
    assert.equal(python.optimizer_step, 6);
    await tutorialCell("checkpointing-14");
  });

  it("Python restores the checkpoint notebooks/04-orbax-interop.ipynb writes, with the predictions the notebook recorded", async function () {
    const source = path.join(repoRoot, "notebooks/04-orbax-interop.ipynb");
    const executed = await executeWithTsnnxRun(jenv, source);
    assert.deepEqual(executionProblems(executed), []);
    const loss = Number(/^step 40: loss (\d+\.\d+)$/m.exec(cellStdout(cellById(executed, "interop-18")))?.[1]);
    // `tsnnx run` starts the kernel in the notebook's folder, where its relative paths resolve.
    const written = path.join(path.dirname(source), "checkpoints/04-interop");
    const python = await runPython<{
      all_steps: number[];
      metrics: Record<string, { loss: number }>;
      eval: { inputs: number[][]; predictions: number[] };
      predictions: number[];
    }>(jenv, ["read", written], notebookInteropScript);
    assert.deepEqual(python.all_steps, [40]);
    // The notebook printed the loss to 4 decimals.
    assert.ok(Math.abs(python.metrics["40"].loss - loss) <= 5e-5, `loss ${python.metrics["40"].loss} vs printed ${loss}`);
    const inputs = JSON.parse(await readFile(path.join(repoRoot, "notebooks/data/python-predictions.json"), "utf8")).inputs as number[][];
    assert.deepEqual(python.eval.inputs, inputs);
    assertClose(python.predictions, python.eval.predictions, "predictions of the model Python restored");
  });
});
