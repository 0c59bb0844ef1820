/**
 * The tsnnx kernel through a real Jupyter server, held to the same suite as
 * ipykernel (see ipykernel.test.ts), installed by its own install.js; then
 * what only a TypeScript + NNX kernel does: type errors with cell positions,
 * the %typecheck magic, notebook-friendly array ownership, NNX reprs.
 */
import assert from "node:assert/strict";
import { describeKernelBehaviour } from "./kernel-behaviour.js";
import { describeExecution, execute } from "./kernel-session.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

describeKernelBehaviour({
  kernelName: tsnnxKernelName,
  language: "typescript",
  printHello: 'console.log("hello e2e");',
  printStderr: 'console.error("warn e2e");',
  defineAnswerBase: "const answerBase = 40;",
  useAnswerBase: "answerBase + 2",
  displayHtml: 'display.html("<b>e2e html</b>");',
  displayThenUpdate:
    'await display.html("<i>step 1</i>", { displayId: "e2e-progress" });\nawait display.html("<i>step 2</i>", { displayId: "e2e-progress", update: true });',
  throwError: 'throw new RangeError("boom e2e");',
  errorName: "RangeError",
  sleepAMinute: "await new Promise((resolve) => setTimeout(resolve, 60_000));",
  busyLoop: "while (true) {}",
  defineCompletionTarget: "const completionTargetValue = 1;",
  completionPrefix: "completionTarg",
  completionTarget: "completionTargetValue",
  askName: 'const name = await input("name? ");\nconsole.log(`hi ${name}`);',
  completeCode: "const x = 1 + 1;",
  incompleteCode: "for (let i = 0; i < 3; i++) {",
  invalidCode: "1 +* 2",
  // A const keeps its literal type, as TypeScript infers it.
  inspectShows: /answerBase: 40/,
  prepare: installTsnnxKernel,
  kernelSpecificTests: ({ session, mustSucceed }) => {
    it("reports a type error at the cell's own line and column, without running the cell", async function () {
      const code = 'console.log("ran");\nconst typed: number = "text";';
      const execution = await execute(session().kernel, code);
      assert.equal(execution.reply.status, "error", describeExecution(execution));
      assert.equal(execution.stdout, "", "a cell with a type error must not run");
      assert.ok(execution.error, describeExecution(execution));
      assert.match(execution.error.traceback.join("\n"), /:2:7 - error TS2322/);
    });

    it("runs despite type errors after %typecheck off, and checks again after %typecheck on", async function () {
      const loose = await mustSucceed('%typecheck off\nconst loose: number = "text" as any as number;\nconst wrong: number = "still text";\nwrong');
      assert.equal(loose.executeResult?.data["text/plain"], "'still text'");
      await mustSucceed("%typecheck on");
      const checked = await execute(session().kernel, 'const again: number = "text";');
      assert.equal(checked.reply.status, "error", describeExecution(checked));
    });

    it("keeps top-level arrays usable after jax-js functions consumed them", async function () {
      await mustSucceed("const values = np.array([1, 2, 3]);\nconst total = np.sum(values);\nconst doubled = np.multiply(values, 2);");
      const execution = await mustSucceed("[await values.jsAsync(), await total.jsAsync(), await doubled.jsAsync()]");
      assert.equal(execution.executeResult?.data["text/plain"], "[ [ 1, 2, 3 ], 6, [ 2, 4, 6 ] ]");
    });

    it("shows NNX state as a state tree: HTML for the notebook, a box-drawn tree as text", async function () {
      await mustSucceed("const layer = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });");
      const state = await mustSucceed("nnx.state(layer)");
      const data = state.executeResult?.data ?? {};
      // Linear(2, 3): a 2x3 kernel and 3 biases, float32: 9 values, 36 bytes.
      const text = String(data["text/plain"]);
      assert.match(text, /^State {2}# Param: 9 \(36 B\)\n/);
      assert.match(text, /── kernel: Param float32\[2,3\] /);
      assert.match(text, /── bias: Param float32\[3\] /);
      assert.match(String(data["text/html"]), /<details/);
      // The summary as data, under a type of its own: JupyterLab's JSON viewer would take `application/json` over the HTML.
      assert.equal((data["application/vnd.tsnnx.state-tree+json"] as { total: { count: number } }).total.count, 9);
      assert.equal(data["application/json"], undefined);
    });
  },
});
