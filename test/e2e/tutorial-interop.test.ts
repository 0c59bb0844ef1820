/**
 * Checkpoints cross between a tsnnx notebook and Python: the cells of
 * notebooks/02-checkpointing.ipynb run on the tsnnx kernel through Jupyter and
 * save with a CheckpointManager; Python Orbax + Flax NNX restore the latest
 * step into the same MLP and compute the same predictions. Then Python saves
 * a new step and the tutorial's restore flow (evalShape template, merge) in
 * the notebook reads it back.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { createJupyterEnv, removeJupyterEnv, repoRoot, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { describeExecution, execute, startKernel, type KernelConnection } from "./kernel-session.js";
import { cellById, joinText, readNotebook, type Notebook } from "./notebook-run.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

const pythonScript = path.join(repoRoot, "test/python/tutorial_interop.py");

async function runPython<T>(jenv: JupyterEnv, args: string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(jenv.python, [pythonScript, ...args], { env: jenv.env, timeout: 5 * 60_000, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as T;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`tutorial_interop.py ${args.join(" ")} failed: ${e.message}\n${(e.stderr ?? "").split("\n").slice(-20).join("\n")}`);
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
  let checkpointDir: string;

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

  it("Python restores the step the notebook saved last, with the same predictions and metrics", async function () {
    const folder = /scratch folder: (\S+)/.exec((await tutorialCell("checkpointing-01")).stdout)?.[1];
    assert.ok(folder, "the tutorial names its checkpoint folder");
    checkpointDir = path.join(jenv.tmpDir, folder);
    await tutorialCell("checkpointing-03");
    const saves = (await tutorialCell("checkpointing-05")).stdout;
    const savedLoss = new Map([...saves.matchAll(/^saved step (\d), loss (\d+\.\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    const ours = JSON.parse((await run("console.log(JSON.stringify((await model.call(xTrain).jsAsync()).flat()));")).stdout) as number[];

    const python = await runPython<{ all_steps: number[]; latest_step: number; metrics: Record<string, { loss: number }>; predictions: number[] }>(
      jenv,
      ["read", checkpointDir],
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
    const python = await runPython<{ predictions: number[] }>(jenv, ["write", checkpointDir, "6"]);
    const execution = await run(
      [
        "const fromPython = new ocp.CheckpointManager(checkpointDir, { readOnly: true });",
        "const pythonStep = fromPython.latestStep();",
        "const [pyGraphdef, pyAbstract] = nnx.split(nnx.evalShape(() => new MLP(2, 8, 1, { rngs: new nnx.Rngs(0) })));",
        "const pyState = (await fromPython.restore(pythonStep, { args: ocp.args.StandardRestore(pyAbstract) })) as nnx.State;",
        "const pyModel = nnx.merge<MLP>(pyGraphdef, pyState);",
        "console.log(JSON.stringify({ step: pythonStep, predictions: (await pyModel.call(xTrain).jsAsync()).flat() }));",
        "await fromPython.close();",
      ].join("\n"),
    );
    const ours = JSON.parse(execution.stdout) as { step: number; predictions: number[] };
    assert.equal(ours.step, 6);
    assertClose(ours.predictions, python.predictions, "predictions of the model tsnnx restored from Python's step");
    await tutorialCell("checkpointing-14");
  });
});
