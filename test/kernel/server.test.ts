/**
 * The protocol server over real ZMQ, driven by the test-only vm executor (so
 * these tests pin the server's behaviour, not the TypeScript executor's).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ENTRIES, KernelClient, withTimeout, type WireMessage } from "./client.js";

const types = (messages: WireMessage[]) => messages.map((m) => m.header.msg_type);
const ofType = (messages: WireMessage[], type: string) => messages.filter((m) => m.header.msg_type === type);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("kernel protocol server (vm executor)", function () {
  this.timeout(60000);
  let kernel: KernelClient;

  before(async () => {
    const started = Date.now();
    kernel = await KernelClient.start();
    console.log(`      start-up to first kernel_info_reply, from source through tsx: ${Date.now() - started} ms (bench/kernel.ts measures the built kernel)`);
  });
  after(() => kernel?.close());

  it("answers kernel_info with the language, protocol 5.3 and status", async () => {
    const reply = await kernel.request("shell", "kernel_info_request");
    assert.equal(reply.header.msg_type, "kernel_info_reply");
    assert.equal(reply.content.status, "ok");
    assert.equal(reply.content.protocol_version, "5.3");
    assert.equal(reply.content.implementation, "tsnnx");
    assert.equal(reply.content.language_info.name, "typescript");
    assert.equal(reply.content.language_info.file_extension, ".ts");
    assert.equal(reply.content.language_info.mimetype, "text/typescript");
    assert.match(reply.content.language_info.version, /^\d+\.\d+\.\d+/);
    // kernel_info on control is answered by the main thread through the I/O thread.
    const control = await kernel.request("control", "kernel_info_request");
    assert.equal(control.content.implementation, "tsnnx");
  });

  it("frames a request with busy/idle, publishes execute_input and execute_result with the execution count", async () => {
    const first = await kernel.execute("1 + 1");
    assert.deepEqual(types(first.outputs), ["status", "execute_input", "execute_result", "status"]);
    assert.deepEqual(first.outputs.map((m) => m.content.execution_state).filter(Boolean), ["busy", "idle"]);
    const count = first.reply.content.execution_count;
    assert.equal(first.outputs[1].content.execution_count, count);
    assert.equal(first.outputs[1].content.code, "1 + 1");
    assert.deepEqual(first.outputs[2].content, { execution_count: count, data: { "text/plain": "2" }, metadata: {} });
    const second = await kernel.execute("2 + 2");
    assert.equal(second.reply.content.execution_count, count + 1);
    // store_history=false runs without taking a number; silent shows nothing but streams.
    const unstored = await kernel.execute("3 + 3", { store_history: false });
    assert.equal(unstored.reply.content.execution_count, count + 1);
    const silent = await kernel.execute("4 + 4", { silent: true });
    assert.deepEqual(types(silent.outputs), ["status", "status"]);
    assert.equal((await kernel.execute("5 + 5")).reply.content.execution_count, count + 2);
  });

  it("publishes stream, display_data, update_display_data and clear_output", async () => {
    const { outputs, reply } = await kernel.execute(`console.log("out"); console.error("err"); display.html("<b>x</b>"); display.show("d1", "a"); display.update("d1", "b"); display.clear(true)`);
    assert.equal(reply.content.status, "ok");
    assert.deepEqual(types(outputs), ["status", "execute_input", "stream", "stream", "display_data", "display_data", "update_display_data", "clear_output", "status"]);
    assert.deepEqual(outputs[2].content, { name: "stdout", text: "out\n" });
    assert.deepEqual(outputs[3].content, { name: "stderr", text: "err\n" });
    assert.equal(outputs[4].content.data["text/html"], "<b>x</b>");
    assert.deepEqual(outputs[6].content.transient, { display_id: "d1" });
    assert.deepEqual(outputs[7].content, { wait: true });
  });

  it("publishes output while the cell still blocks the main thread (iopub lives on the I/O thread)", async () => {
    const cell = await kernel.send("shell", "execute_request", { code: `console.log("early"); const blockUntil = Date.now() + 1500; while (Date.now() < blockUntil) {}` });
    let replied = false;
    void cell.reply.then(() => (replied = true));
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === cell.msgId && m.content.text === "early\n"), 5000, "early output");
    assert.equal(replied, false, "the output arrived before the cell finished");
    await cell.reply;
  });

  it("reports errors as an error message and reply, and keeps working", async () => {
    const { outputs, reply } = await kernel.execute(`throw new TypeError("bad thing")`);
    assert.equal(reply.content.status, "error");
    assert.equal(reply.content.ename, "TypeError");
    assert.equal(reply.content.evalue, "bad thing");
    const [error] = ofType(outputs, "error");
    assert.deepEqual(error.content, { ename: "TypeError", evalue: "bad thing", traceback: reply.content.traceback });
    assert.equal((await kernel.execute("40 + 2")).outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"], "42");
  });

  it("aborts execute requests queued before a failing cell's error, not those sent later", async () => {
    // The first cell keeps the thread busy so the next two are already queued when it fails.
    const failing = await kernel.send("shell", "execute_request", { code: `const t = Date.now() + 300; while (Date.now() < t) {}; throw new Error("stop")`, silent: false, store_history: true, stop_on_error: true });
    const queued = await kernel.send("shell", "execute_request", { code: `queuedRan = 1`, silent: false, store_history: true, stop_on_error: true });
    const queuedMeta = await kernel.send("shell", "kernel_info_request", {});
    assert.equal((await failing.reply).content.status, "error");
    assert.equal((await queued.reply).content.status, "aborted");
    assert.equal((await queuedMeta.reply).content.status, "ok", "only execute requests are aborted");
    await sleep(200);
    const later = await kernel.execute(`typeof queuedRan`);
    assert.equal(later.reply.content.status, "ok");
    assert.equal(ofType(later.outputs, "execute_result")[0].content.data["text/plain"], "'undefined'");
    // stop_on_error=false: the queue is left alone.
    const lenient = await kernel.send("shell", "execute_request", { code: `const t2 = Date.now() + 200; while (Date.now() < t2) {}; throw new Error("again")`, stop_on_error: false });
    const next = await kernel.send("shell", "execute_request", { code: `"ran"` });
    assert.equal((await lenient.reply).content.status, "error");
    assert.equal((await next.reply).content.status, "ok");
  });

  it("interrupts a busy synchronous loop, keeps state, and answers heartbeats meanwhile", async () => {
    await kernel.execute(`kept = 42`);
    const looping = await kernel.send("shell", "execute_request", { code: `while (true) {}` });
    await sleep(300);
    assert.equal(await kernel.heartbeat(1000), true, "heartbeat answers while the main thread loops");
    const interrupt = await kernel.request("control", "interrupt_request", {}, 5000);
    assert.equal(interrupt.content.status, "ok");
    const reply = await withTimeout(looping.reply, 5000, "reply of the interrupted loop");
    assert.equal(reply.content.status, "error");
    const after = await kernel.execute(`kept`);
    assert.equal(ofType(after.outputs, "execute_result")[0].content.data["text/plain"], "42");
  });

  it("also interrupts on a SIGINT sent to the process (interrupt_mode signal)", async () => {
    const looping = await kernel.send("shell", "execute_request", { code: `keptBySignal = 1; while (true) {}` });
    await sleep(300);
    kernel.process.kill("SIGINT");
    assert.equal((await withTimeout(looping.reply, 5000, "reply of the signalled loop")).content.status, "error");
    assert.equal(ofType((await kernel.execute(`keptBySignal`)).outputs, "execute_result")[0].content.data["text/plain"], "1");
  });

  it("interrupts a pending await and keeps state", async () => {
    const waiting = await kernel.send("shell", "execute_request", { code: `keptToo = 7; await new Promise(() => {})` });
    await sleep(300);
    await kernel.request("control", "interrupt_request", {}, 5000);
    const reply = await withTimeout(waiting.reply, 5000, "reply of the interrupted await");
    assert.equal(reply.content.status, "error");
    assert.equal(reply.content.ename, "Interrupted");
    const after = await kernel.execute(`keptToo`);
    assert.equal(ofType(after.outputs, "execute_result")[0].content.data["text/plain"], "7");
  });

  it("asks for input on stdin only when allow_stdin is true, and routes the reply back", async () => {
    const asking = await kernel.send("shell", "execute_request", { code: `answer = await input("name? ", true)`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === asking.msgId), 10000, "input_request", "stdin");
    const request = kernel.stdinLog.find((m) => m.parent_header.msg_id === asking.msgId)!;
    assert.equal(request.header.msg_type, "input_request");
    assert.deepEqual(request.content, { prompt: "name? ", password: true });
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "Ada" }).frames);
    assert.equal((await asking.reply).content.status, "ok");
    const check = await kernel.execute(`"got " + answer`);
    assert.equal(ofType(check.outputs, "execute_result")[0].content.data["text/plain"], "'got Ada'");

    const refused = await kernel.execute(`await input("again? ")`, { allow_stdin: false });
    assert.equal(refused.reply.content.status, "error");
    assert.match(refused.reply.content.evalue, /allow_stdin is false/);
  });

  it("answers a synchronous prompt() while the cell blocks the main thread, and refuses it without allow_stdin", async () => {
    const asking = await kernel.send("shell", "execute_request", { code: `promptStarted = Date.now(); answered = prompt("colour? ")`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === asking.msgId), 10000, "input_request", "stdin");
    const request = kernel.stdinLog.find((m) => m.parent_header.msg_id === asking.msgId)!;
    assert.deepEqual(request.content, { prompt: "colour? ", password: false });
    // The main thread is blocked in the prompt: the heartbeat (I/O thread) still answers.
    assert.equal(await kernel.heartbeat(1000), true);
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "teal" }).frames);
    assert.equal((await withTimeout(asking.reply, 5000, "reply of the prompting cell")).content.status, "ok");
    assert.equal(ofType((await kernel.execute(`answered`)).outputs, "execute_result")[0].content.data["text/plain"], "'teal'");

    const refused = await kernel.execute(`prompt("again? ")`, { allow_stdin: false });
    assert.equal(refused.reply.content.status, "error");
    assert.match(refused.reply.content.evalue, /allow_stdin is false/);
  });

  it("interrupts a cell blocked in prompt(), both in its synchronous part and after an await", async () => {
    let lastInterrupted = "";
    for (const code of [`blockedSync = 1; prompt("never answered? ")`, `await new Promise((r) => setTimeout(r, 10)); blockedAsync = 2; prompt("never answered? ")`]) {
      const asking = await kernel.send("shell", "execute_request", { code, allow_stdin: true });
      lastInterrupted = asking.msgId;
      await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === asking.msgId), 10000, "input_request", "stdin");
      await kernel.request("control", "interrupt_request", {}, 5000);
      const reply = await withTimeout(asking.reply, 5000, `reply of the interrupted prompt in: ${code}`);
      assert.equal(reply.content.status, "error");
      assert.match(`${reply.content.ename}: ${reply.content.evalue}`, /Interrupt|interrupted/);
    }
    const kept = await kernel.execute(`[blockedSync, blockedAsync]`);
    assert.equal(ofType(kept.outputs, "execute_result")[0].content.data["text/plain"], "[ 1, 2 ]");
    // A late reply to an interrupted request (JupyterLab names the request it answers) is dropped,
    // even while another prompt is pending; that prompt gets its own reply.
    const interrupted = kernel.stdinLog.find((m) => m.parent_header.msg_id === lastInterrupted)!;
    const next = await kernel.send("shell", "execute_request", { code: `prompt("fresh? ")`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === next.msgId), 10000, "input_request", "stdin");
    const pending = kernel.stdinLog.find((m) => m.parent_header.msg_id === next.msgId)!;
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "late" }, { parent: interrupted.header }).frames);
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "fresh" }, { parent: pending.header }).frames);
    const outputs = await kernel.outputsOf(next.msgId);
    assert.equal(ofType(outputs, "execute_result")[0].content.data["text/plain"], "'fresh'");
  });

  it("lists comms by target and round-trips comm messages both ways", async () => {
    await kernel.execute(`comms.registerTarget("echo", (comm, open) => { comm.send({ opened: open.data }); comm.onMsg((m) => comm.send({ echo: m.data })); comm.onClose(() => { closedEcho = true; }); })`);
    const open = await kernel.send("shell", "comm_open", { comm_id: "c-1", target_name: "echo", data: { hello: 1 } });
    const openOut = await kernel.outputsOf(open.msgId);
    assert.deepEqual(ofType(openOut, "comm_msg")[0].content, { comm_id: "c-1", data: { opened: { hello: 1 } } });

    const kernelOpened = await kernel.execute(`other = comms.open("frontend-target", { x: 1 }); other.id`);
    const [commOpen] = ofType(kernelOpened.outputs, "comm_open");
    assert.equal(commOpen.content.target_name, "frontend-target");
    assert.deepEqual(commOpen.content.data, { x: 1 });

    const all = await kernel.request("shell", "comm_info_request", {});
    assert.deepEqual(all.content.comms["c-1"], { target_name: "echo" });
    assert.deepEqual(all.content.comms[commOpen.content.comm_id], { target_name: "frontend-target" });
    const filtered = await kernel.request("shell", "comm_info_request", { target_name: "echo" });
    assert.deepEqual(filtered.content, { status: "ok", comms: { "c-1": { target_name: "echo" } } });

    const msg = await kernel.send("shell", "comm_msg", { comm_id: "c-1", data: { n: 5 } });
    const msgOut = await kernel.outputsOf(msg.msgId);
    assert.deepEqual(ofType(msgOut, "comm_msg")[0].content, { comm_id: "c-1", data: { echo: { n: 5 } } });

    const close = await kernel.send("shell", "comm_close", { comm_id: "c-1", data: {} });
    await kernel.outputsOf(close.msgId);
    const closed = await kernel.execute(`closedEcho`);
    assert.equal(ofType(closed.outputs, "execute_result")[0].content.data["text/plain"], "true");
    assert.deepEqual((await kernel.request("shell", "comm_info_request", { target_name: "echo" })).content.comms, {});

    // A comm to a target nobody registered is closed right away.
    const stray = await kernel.send("shell", "comm_open", { comm_id: "c-2", target_name: "nobody", data: {} });
    assert.deepEqual(ofType(await kernel.outputsOf(stray.msgId), "comm_close")[0].content, { comm_id: "c-2", data: {} });
  });

  it("drops messages with a bad or missing signature without running them, and says so once on stderr", async () => {
    for (const signature of ["0".repeat(64), ""]) {
      const forged = kernel.frames("execute_request", { code: `forged = "ran"; console.log("forged")` }, { signature });
      await kernel.sendRaw("shell", forged.frames);
      await sleep(300);
      assert.equal(kernel.iopubLog.filter((m) => m.parent_header.msg_id === forged.msgId).length, 0);
    }
    // Control is checked too (by the I/O thread): a forged interrupt gets no reply and stops nothing.
    const forgedInterrupt = kernel.frames("interrupt_request", {}, { signature: "f".repeat(64) });
    const running = await kernel.send("shell", "execute_request", { code: `const until = Date.now() + 600; while (Date.now() < until) {}; "finished"` });
    await sleep(100);
    await kernel.sendRaw("control", forgedInterrupt.frames);
    assert.equal((await running.reply).content.status, "ok");
    assert.equal(kernel.iopubLog.filter((m) => m.parent_header.msg_id === forgedInterrupt.msgId).length, 0);
    const check = await kernel.execute(`typeof forged`);
    assert.equal(ofType(check.outputs, "execute_result")[0].content.data["text/plain"], "'undefined'");
    // The log line travels through a pipe: give it a moment.
    for (let waited = 0; waited < 5000 && !/control message with a bad/.test(kernel.stderr); waited += 50) await sleep(50);
    assert.equal(kernel.stderr.match(/shell message with a bad or missing signature/g)?.length, 1);
    assert.equal(kernel.stderr.match(/control message with a bad or missing signature/g)?.length, 1);
    assert.ok(!kernel.stderr.includes(kernel.key), "the key never appears in the log");
  });

  it("sends output of a timer that fires after its cell finished with that cell's parent header", async () => {
    const starter = await kernel.execute(`setTimeout(() => console.log("late"), 300); "scheduled"`);
    const other = await kernel.execute(`"another cell"`);
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.header.msg_type === "stream" && m.content.text === "late\n"), 5000, "late output");
    const late = kernel.iopubLog.find((m) => m.header.msg_type === "stream" && m.content.text === "late\n")!;
    assert.equal(late.parent_header.msg_id, starter.msgId);
    assert.notEqual(late.parent_header.msg_id, other.msgId);
  });

  it("survives an uncaught exception in a timer and an unhandled rejection, reporting them as cell output", async () => {
    const cell = await kernel.execute(`setTimeout(() => { throw new Error("boom in timer") }, 50); Promise.reject(new Error("rejected")); "ok"`);
    await kernel.waitFor(() => kernel.iopubLog.filter((m) => m.parent_header.msg_id === cell.msgId && /boom in timer|rejected/.test(m.content.text ?? "")).length === 2, 5000, "uncaught errors reported");
    assert.equal(await kernel.heartbeat(1000), true);
    assert.equal((await kernel.execute(`1`)).reply.content.status, "ok");
  });

  it("passes complete, inspect and is_complete through, cursor_pos in code points as Jupyter counts", async () => {
    await kernel.execute(`someVariable = 1`);
    // The emoji is one code point but two UTF-16 units.
    const code = `"😀"; someVa`;
    const reply = await kernel.request("shell", "complete_request", { code, cursor_pos: Array.from(code).length });
    assert.equal(reply.content.status, "ok");
    assert.ok(reply.content.matches.includes("someVariable"));
    assert.equal(reply.content.cursor_start, Array.from(code).length - "someVa".length);
    assert.equal(reply.content.cursor_end, Array.from(code).length);
    const inspect = await kernel.request("shell", "inspect_request", { code: "someVariable", cursor_pos: 12, detail_level: 0 });
    assert.equal(inspect.content.found, true);
    assert.deepEqual((await kernel.request("shell", "is_complete_request", { code: "if (x) {" })).content, { status: "incomplete", indent: "  " });
    assert.deepEqual((await kernel.request("shell", "is_complete_request", { code: "1 +* 2" })).content, { status: "invalid" });
    const bad = await kernel.request("shell", "complete_request", { code: 5, cursor_pos: 0 });
    assert.equal(bad.content.status, "error");
    assert.match(bad.content.evalue, /code must be a string/);
  });

  it("answers `name?` with a page payload from inspect, as IPython does", async () => {
    await kernel.execute(`helpTarget = 5`);
    const { reply, outputs } = await kernel.execute(`helpTarget?`);
    assert.equal(reply.content.status, "ok");
    assert.deepEqual(reply.content.payload, [{ source: "page", data: { "text/plain": "helpTarget: 5" }, start: 0 }]);
    assert.equal(ofType(outputs, "execute_result").length, 0);
    const missing = await kernel.execute(`noSuchName?`);
    assert.deepEqual(ofType(missing.outputs, "stream")[0].content, { name: "stdout", text: "Object `noSuchName` not found.\n" });
  });

  it("evaluates user_expressions", async () => {
    await kernel.execute(`ue = 6`);
    const { reply } = await kernel.execute(`1`, { user_expressions: { double: "ue * 2", broken: "nope(" } });
    assert.deepEqual(reply.content.user_expressions.double, { status: "ok", data: { "text/plain": "12" }, metadata: {} });
    assert.equal(reply.content.user_expressions.broken.status, "error");
  });

  it("answers usage_request on control even while a cell blocks the main thread", async () => {
    const busy = await kernel.send("shell", "execute_request", { code: `const busyUntil = Date.now() + 1500; while (Date.now() < busyUntil) {}` });
    await sleep(300);
    const usage = await kernel.request("control", "usage_request", {}, 1000);
    assert.equal(usage.content.status, "ok");
    assert.equal(usage.content.pid, kernel.process.pid);
    assert.ok(usage.content.kernel_memory > 10e6, `rss ${usage.content.kernel_memory}`);
    // The main thread spins: the kernel used a good part of a core since start-up or the last sample.
    assert.ok(usage.content.kernel_cpu > 0, `kernel_cpu ${usage.content.kernel_cpu}`);
    assert.ok(usage.content.cpu_count >= 1);
    assert.ok(usage.content.host_virtual_memory.total > 0);
    assert.equal((await busy.reply).content.status, "ok");
  });

  it("treats an interrupt while idle as harmless", async () => {
    assert.equal((await kernel.request("control", "interrupt_request", {})).content.status, "ok");
    assert.equal((await kernel.execute(`kept`)).reply.content.status, "ok");
  });
});

describe("kernel shutdown and history across restarts (vm executor)", function () {
  this.timeout(60000);

  it("replies to shutdown_request on control and exits cleanly; history carries over to the next session", async () => {
    const first = await KernelClient.start();
    try {
      await first.execute(`"first session"`);
      await first.execute(`"not stored"`, { store_history: false });
      const tail = await first.request("shell", "history_request", { hist_access_type: "tail", n: 5, output: true, raw: true });
      assert.equal(tail.content.history.length, 1);
      const [session, line, [input, output]] = tail.content.history[0];
      assert.deepEqual([line, input, output], [1, `"first session"`, "'first session'"]);
      const reply = await first.shutdown(true);
      assert.deepEqual(reply.content, { status: "ok", restart: true });
      assert.equal(await withTimeout(first.exited, 10000, "kernel exit"), 0);

      const second = await KernelClient.start({ dataDir: first.dataDir });
      try {
        await second.execute(`"second session"`);
        const both = await second.request("shell", "history_request", { hist_access_type: "tail", n: 10, output: false, raw: true });
        assert.deepEqual(both.content.history, [[session, 1, `"first session"`], [session + 1, 1, `"second session"`]]);
        const previous = await second.request("shell", "history_request", { hist_access_type: "range", session: -1, start: 1, stop: null, output: false, raw: true });
        assert.deepEqual(previous.content.history, [[session, 1, `"first session"`]]);
        const search = await second.request("shell", "history_request", { hist_access_type: "search", pattern: "*session*", unique: true, output: false, raw: true });
        assert.equal(search.content.history.length, 2);
        const invalid = await second.request("shell", "history_request", { hist_access_type: "sideways" });
        assert.equal(invalid.content.status, "error");
        assert.match(invalid.content.evalue, /hist_access_type/);
        // Old clients send shutdown on shell.
        const shellShutdown = await second.request("shell", "shutdown_request", { restart: false });
        assert.deepEqual(shellShutdown.content, { status: "ok", restart: false });
        assert.equal(await withTimeout(second.exited, 10000, "kernel exit"), 0);
      } finally {
        second.close();
      }
    } finally {
      first.close();
    }
  });

  it("reports an executor that fails to load on each cell, and keeps answering", async () => {
    const kernel = await KernelClient.start({ env: { TSNNX_TEST_EXECUTOR_FAILS: "compiler missing" } });
    try {
      for (let i = 0; i < 2; i++) {
        const { reply, outputs } = await kernel.execute(`1`);
        assert.equal(reply.content.status, "error");
        assert.equal(reply.content.evalue, "compiler missing");
        assert.equal(ofType(outputs, "error").length, 1);
      }
      assert.equal((await kernel.request("shell", "kernel_info_request")).content.status, "ok");
      assert.equal(kernel.stderr.match(/the executor failed to load/g)?.length, 1);
    } finally {
      kernel.close();
    }
  });

  it("shuts down even while a cell runs a busy loop", async () => {
    const kernel = await KernelClient.start();
    try {
      await kernel.send("shell", "execute_request", { code: `while (true) {}` });
      await sleep(300);
      const reply = await kernel.shutdown(false);
      assert.equal(reply.content.status, "ok");
      assert.equal(await withTimeout(kernel.exited, 10000, "kernel exit"), 0);
    } finally {
      kernel.close();
    }
  });

  it("shuts down when the process that started it (JPY_PARENT_PID) dies, as ipykernel does", async () => {
    const pidFile = join(mkdtempSync(join(os.tmpdir(), "tsnnx-parent-")), "kernel.pid");
    // A launcher shell that starts the kernel as its child, as jupyter_client does, then waits.
    const launch = `JPY_PARENT_PID=$$ '${process.execPath}' ${ENTRIES.vm.map((a) => `'${a}'`).join(" ")} -f '{connection_file}' & echo $! > '${pidFile}'; wait`;
    const kernel = await KernelClient.start({ argv: ["/bin/sh", "-c", launch] });
    try {
      const kernelPid = Number(readFileSync(pidFile, "utf8"));
      assert.equal((await kernel.execute(`"alive"`)).reply.content.status, "ok");
      kernel.process.kill("SIGKILL");
      const gone = await waitUntil(() => !isAlive(kernelPid), 10000);
      assert.ok(gone, `kernel ${kernelPid} still runs 10 s after its launcher died`);
    } finally {
      kernel.close();
    }
  });
});

/** Running, as opposed to gone or a zombie (an orphan's exit status waits for whatever adopted it). */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (condition()) return true;
  return condition();
}
