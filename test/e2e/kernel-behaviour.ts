/**
 * What a notebook user sees from a kernel, checked through a real Jupyter
 * server. The same suite runs on ipykernel (the reference: it proves the
 * harness and the expectations) and on tsnnx; only the code snippets differ.
 */
import assert from "node:assert/strict";
import { createJupyterEnv, removeJupyterEnv, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { describeExecution, execute, startKernel, type Execution, type KernelConnection } from "./kernel-session.js";
import type { KernelMessage } from "@jupyterlab/services";

/** Code in the kernel's language for each behaviour; see the assertions for what each must do. */
export interface KernelProfile {
  kernelName: string;
  language: string;
  /** Writes exactly "hello e2e\n" to stdout. */
  printHello: string;
  /** Writes exactly "warn e2e\n" to stderr. */
  printStderr: string;
  /** Binds `answerBase` to 40 (first cell), then evaluates `answerBase + 2` (second cell). */
  defineAnswerBase: string;
  useAnswerBase: string;
  /** Displays the HTML `<b>e2e html</b>` as display_data. */
  displayHtml: string;
  /** Displays the HTML `<i>step 1</i>` under the display id "e2e-progress", then updates that output to `<i>step 2</i>`. */
  displayThenUpdate: string;
  /** Raises/throws an error of class `errorName` with message "boom e2e". */
  throwError: string;
  errorName: string;
  /** Waits for a minute unless interrupted (the kernel idles: a pending sleep or await). */
  sleepAMinute: string;
  /** Spins forever on the CPU unless interrupted. */
  busyLoop: string;
  /** Binds a name starting with `completionPrefix`, which completion must offer afterwards. */
  defineCompletionTarget: string;
  completionPrefix: string;
  completionTarget: string;
  /** Asks for a line on stdin with the prompt "name? " and prints "hi <line>\n". */
  askName: string;
  /** Samples for is_complete. */
  completeCode: string;
  incompleteCode: string;
  invalidCode: string;
  /** What inspecting `answerBase` (bound to 40) must show: its type. */
  inspectShows: RegExp;
  /** Extra one-time preparation (such as installing the kernelspec into the scratch Jupyter). */
  prepare?: (jenv: JupyterEnv) => Promise<void>;
  /** Tests of this kernel only, run in the same session as the shared ones. */
  kernelSpecificTests?: (context: SuiteContext) => void;
}

/** What kernel-specific tests get: the live session (set once the suite's before hook ran) and a helper. */
export interface SuiteContext {
  session(): KernelConnection;
  /** Executes `code` and fails the test with every IOPub message unless the reply is ok. */
  mustSucceed(code: string): Promise<Execution>;
}

export function describeKernelBehaviour(profile: KernelProfile): void {
  describe(`kernel "${profile.kernelName}" through a real Jupyter server`, function () {
    this.timeout(120_000);
    let jenv: JupyterEnv;
    let server: JupyterServer;
    let session: KernelConnection;

    before(async function () {
      this.timeout(30 * 60_000); // The first run creates the shared venv.
      jenv = await createJupyterEnv();
      await profile.prepare?.(jenv);
      server = await startJupyterServer(jenv);
      session = await startKernel(server, profile.kernelName);
    });

    after(async function () {
      this.timeout(60_000);
      await session?.close().catch(() => undefined);
      await server?.stop();
      if (jenv) await removeJupyterEnv(jenv);
    });

    async function mustSucceed(code: string) {
      const execution = await execute(session.kernel, code);
      assert.equal(execution.reply.status, "ok", `cell failed:\n${code}\n${describeExecution(execution)}`);
      return execution;
    }

    it("reports its language in kernel_info", async function () {
      const info = await session.kernel.info;
      assert.equal(info.status, "ok");
      assert.equal(info.language_info.name, profile.language);
    });

    it("streams stdout and stderr as stream messages", async function () {
      const out = await mustSucceed(profile.printHello);
      assert.equal(out.stdout, "hello e2e\n");
      const err = await mustSucceed(profile.printStderr);
      assert.equal(err.stderr, "warn e2e\n");
    });

    it("sends execute_input and an execute_result carrying the execution count, keeping state between cells", async function () {
      await mustSucceed(profile.defineAnswerBase);
      const execution = await mustSucceed(profile.useAnswerBase);
      assert.ok(execution.executeInput, `no execute_input:\n${describeExecution(execution)}`);
      assert.ok(execution.executeResult, `no execute_result:\n${describeExecution(execution)}`);
      assert.equal(execution.executeResult.data["text/plain"], "42");
      const count = execution.reply.execution_count;
      assert.equal(typeof count, "number", "execute_reply must carry an execution_count");
      assert.equal(execution.executeResult.execution_count, count);
      assert.equal(execution.executeInput.execution_count, count);
      const next = await mustSucceed(profile.useAnswerBase);
      assert.equal(next.reply.execution_count, count! + 1, "execution_count must grow by one per cell");
      assert.deepEqual(next.statuses, ["busy", "idle"]);
    });

    it("sends display_data with text/html", async function () {
      const execution = await mustSucceed(profile.displayHtml);
      const html = execution.displayData.map((d) => d.data["text/html"]).filter((h) => h !== undefined);
      assert.equal(html.length, 1, `expected one text/html display:\n${describeExecution(execution)}`);
      assert.match(String(html[0]), /<b>e2e html<\/b>/);
    });

    it("updates a display in place through its display_id", async function () {
      const execution = await mustSucceed(profile.displayThenUpdate);
      const shown = execution.displayData.map((d) => ({ id: d.transient?.display_id, html: d.data["text/html"] }));
      const updated = execution.updateDisplayData.map((d) => ({ id: d.transient?.display_id, html: d.data["text/html"] }));
      assert.deepEqual(shown, [{ id: "e2e-progress", html: "<i>step 1</i>" }], describeExecution(execution));
      assert.deepEqual(updated, [{ id: "e2e-progress", html: "<i>step 2</i>" }], describeExecution(execution));
    });

    it("reports a thrown error as an error message and an error reply, then keeps working", async function () {
      await mustSucceed(profile.defineAnswerBase);
      const execution = await execute(session.kernel, profile.throwError);
      assert.equal(execution.reply.status, "error", describeExecution(execution));
      assert.ok(execution.error, `no error message on IOPub:\n${describeExecution(execution)}`);
      assert.equal(execution.error.ename, profile.errorName);
      assert.match(execution.error.evalue, /boom e2e/);
      assert.ok(Array.isArray(execution.error.traceback) && execution.error.traceback.length > 0);
      const after = await mustSucceed(profile.useAnswerBase);
      assert.equal(after.executeResult?.data["text/plain"], "42");
    });

    async function interruptAfterStart(code: string) {
      await mustSucceed(profile.defineAnswerBase);
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const busy = execute(session.kernel, code, { onStarted: started });
      await running;
      await new Promise((r) => setTimeout(r, 500));
      const interruptedAt = Date.now();
      await session.kernel.interrupt();
      const execution = await busy;
      const elapsed = Date.now() - interruptedAt;
      assert.ok(elapsed < 10_000, `the cell ran on ${elapsed} ms after the interrupt`);
      assert.equal(execution.reply.status, "error", describeExecution(execution));
      assert.ok(execution.error, `an interrupted cell must say so with an error message:\n${describeExecution(execution)}`);
      const after = await mustSucceed(profile.useAnswerBase);
      assert.equal(after.executeResult?.data["text/plain"], "42", "state must survive an interrupt");
    }

    it("interrupts a cell waiting on a timer and keeps its state", async function () {
      await interruptAfterStart(profile.sleepAMinute);
    });

    it("interrupts a busy synchronous loop and keeps its state", async function () {
      await interruptAfterStart(profile.busyLoop);
    });

    it("completes a name defined in an earlier cell", async function () {
      await mustSucceed(profile.defineCompletionTarget);
      const code = profile.completionPrefix;
      const reply = await session.kernel.requestComplete({ code, cursor_pos: code.length });
      const content = reply.content;
      assert.equal(content.status, "ok", JSON.stringify(content));
      if (content.status !== "ok") return;
      assert.ok(content.matches.includes(profile.completionTarget), `matches: ${JSON.stringify(content.matches)}`);
      assert.equal(content.cursor_end, code.length);
      const replaced = code.slice(0, content.cursor_start) + profile.completionTarget + code.slice(content.cursor_end);
      assert.ok(replaced.endsWith(profile.completionTarget), `applying the completion gives ${JSON.stringify(replaced)}`);
    });

    it("asks for input on stdin and uses the answer", async function () {
      const prompts: KernelMessage.IInputRequestMsg["content"][] = [];
      const future = session.kernel.requestExecute({ code: profile.askName, allow_stdin: true, stop_on_error: true });
      let stdout = "";
      future.onIOPub = (message) => {
        if (message.header.msg_type === "stream") stdout += (message.content as { text: string }).text;
      };
      future.onStdin = (message) => {
        if (message.header.msg_type !== "input_request") return;
        prompts.push(message.content as KernelMessage.IInputRequestMsg["content"]);
        session.kernel.sendInputReply({ status: "ok", value: "Ada" }, message.header as KernelMessage.IHeader<"input_request">);
      };
      const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
      assert.equal(reply.content.status, "ok", JSON.stringify(reply.content));
      assert.deepEqual(prompts, [{ prompt: "name? ", password: false }]);
      assert.equal(stdout, "hi Ada\n");
    });

    it("answers is_complete for complete, incomplete and invalid code", async function () {
      const status = async (code: string) => (await session.kernel.requestIsComplete({ code })).content.status;
      assert.equal(await status(profile.completeCode), "complete");
      assert.equal(await status(profile.incompleteCode), "incomplete");
      assert.equal(await status(profile.invalidCode), "invalid");
    });

    it("inspects a name defined in an earlier cell", async function () {
      await mustSucceed(profile.defineAnswerBase);
      const code = "answerBase";
      const reply = (await session.kernel.requestInspect({ code, cursor_pos: code.length, detail_level: 0 })).content;
      assert.equal(reply.status, "ok", JSON.stringify(reply));
      if (reply.status !== "ok") return;
      assert.equal(reply.found, true);
      assert.match(String(reply.data["text/plain"]), profile.inspectShows);
    });

    it("keeps the session's input history", async function () {
      await mustSucceed(profile.defineAnswerBase);
      await mustSucceed(profile.useAnswerBase);
      const reply = (await session.kernel.requestHistory({ hist_access_type: "tail", n: 2, output: false, raw: true })).content;
      assert.equal(reply.status, "ok", JSON.stringify(reply));
      if (reply.status !== "ok") return;
      const sources = reply.history.map((entry) => entry[2] as string);
      assert.deepEqual(sources, [profile.defineAnswerBase, profile.useAnswerBase]);
    });

    profile.kernelSpecificTests?.({ session: () => session, mustSucceed });

    it("restarts with fresh state and execution count", async function () {
      await session.kernel.restart();
      const execution = await execute(session.kernel, profile.useAnswerBase);
      assert.equal(execution.reply.status, "error", `state survived the restart:\n${describeExecution(execution)}`);
      assert.equal(execution.reply.execution_count, 1, "the first cell after a restart must be number 1");
      await mustSucceed(profile.defineAnswerBase);
      const again = await mustSucceed(profile.useAnswerBase);
      assert.equal(again.executeResult?.data["text/plain"], "42");
    });
  });
}
