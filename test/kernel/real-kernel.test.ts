/**
 * The shipped kernel (server + the TypeScript executor) over ZMQ: the paths
 * where the two meet: interrupts, stdin, late output, uncaught errors.
 */
import assert from "node:assert/strict";
import { KernelClient, withTimeout, type WireMessage } from "./client.js";

const ofType = (messages: WireMessage[], type: string) => messages.filter((m) => m.header.msg_type === type);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const resultText = (outputs: WireMessage[]) => ofType(outputs, "execute_result")[0]?.content.data["text/plain"];

describe("tsnnx kernel with the TypeScript executor", function () {
  this.timeout(300000);
  let kernel: KernelClient;

  before(async () => {
    kernel = await KernelClient.start({ entry: "real" });
    // The first cell loads the TypeScript compiler and jax-js.
    assert.equal((await kernel.execute(`let kept: number = 41;`, {}, 240000)).reply.content.status, "ok");
  });
  after(async () => {
    if (kernel) await withTimeout(kernel.shutdown(), 10000, "shutdown").catch(() => undefined);
    kernel?.close();
  });

  it("interrupts a busy synchronous loop on interrupt_request, answering heartbeats meanwhile, and keeps state", async () => {
    const looping = await kernel.send("shell", "execute_request", { code: `kept = 42; while (true) {}` });
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === looping.msgId && m.header.msg_type === "execute_input"), 30000, "the loop to start");
    await sleep(500);
    assert.equal(await kernel.heartbeat(2000), true);
    await kernel.request("control", "interrupt_request", {}, 10000);
    const reply = await withTimeout(looping.reply, 10000, "reply of the interrupted loop");
    assert.equal(reply.content.status, "error");
    assert.equal(reply.content.ename, "KeyboardInterrupt");
    assert.equal(resultText((await kernel.execute(`kept`)).outputs), "42");
  });

  it("interrupts a pending await and keeps state", async () => {
    const waiting = await kernel.send("shell", "execute_request", { code: `kept = 43; await new Promise(() => {});` });
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === waiting.msgId && m.header.msg_type === "execute_input"), 30000, "the cell to start");
    await sleep(500);
    await kernel.request("control", "interrupt_request", {}, 10000);
    const reply = await withTimeout(waiting.reply, 10000, "reply of the interrupted await");
    assert.equal(reply.content.ename, "KeyboardInterrupt");
    assert.equal(resultText((await kernel.execute(`kept`)).outputs), "43");
  });

  it("interrupts a busy loop that runs after the cell's first await (a training loop after loading data), and the kernel stays whole", async () => {
    for (const resumeAfter of [`new Promise((r) => setTimeout(r, 20))`, `import("node:fs/promises").then((fs) => fs.readFile("package.json"))`, `Promise.resolve().then(() => new Promise((r) => setImmediate(r)))`]) {
      const looping = await kernel.send("shell", "execute_request", { code: `let steps = 0; await ${resumeAfter}; console.log("looping"); while (true) { steps++; }` });
      await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === looping.msgId && m.header.msg_type === "stream"), 30000, "the loop to start");
      await sleep(200);
      assert.equal(await kernel.heartbeat(2000), true);
      await kernel.request("control", "interrupt_request", {}, 10000);
      const reply = await withTimeout(looping.reply, 10000, `reply of the interrupted loop after: await ${resumeAfter}`);
      assert.equal(reply.content.ename, "KeyboardInterrupt");
      assert.ok(Number(resultText((await kernel.execute(`steps`)).outputs)) > 0, "the loop's progress is kept");
    }
    // Timers, promises, late output routing (AsyncLocalStorage) and jax-js all still work.
    const after = await kernel.execute(`setTimeout(() => console.log("late"), 50); await new Promise((r) => setTimeout(r, 10)); np.ones([3]).sum().item()`);
    assert.equal(resultText(after.outputs), "3");
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === after.msgId && m.header.msg_type === "stream" && m.content.text === "late\n"), 10000, "the late output of the cell's timer");
  });

  it("routes input() through stdin when allowed", async () => {
    const asking = await kernel.send("shell", "execute_request", { code: `const answer = await input("your name? ");`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === asking.msgId), 30000, "input_request", "stdin");
    const request = kernel.stdinLog.find((m) => m.parent_header.msg_id === asking.msgId)!;
    assert.deepEqual(request.content, { prompt: "your name? ", password: false });
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "Grace" }).frames);
    assert.equal((await asking.reply).content.status, "ok");
    assert.equal(resultText((await kernel.execute(`answer`)).outputs), "'Grace'");
    const refused = await kernel.execute(`await input("again? ")`, { allow_stdin: false });
    assert.equal(refused.reply.content.status, "error");
    assert.match(refused.reply.content.evalue, /allow_stdin is false/);
  });

  it("answers a typed synchronous prompt(), with its default for an empty reply, and interrupts one that waits", async () => {
    const asking = await kernel.send("shell", "execute_request", { code: `const colour: string = prompt("colour? ", "blue");`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === asking.msgId), 30000, "input_request", "stdin");
    assert.deepEqual(kernel.stdinLog.find((m) => m.parent_header.msg_id === asking.msgId)!.content, { prompt: "colour? ", password: false });
    await kernel.sendRaw("stdin", kernel.frames("input_reply", { value: "" }).frames);
    assert.equal((await asking.reply).content.status, "ok");
    assert.equal(resultText((await kernel.execute(`colour`)).outputs), "'blue'");

    const waiting = await kernel.send("shell", "execute_request", { code: `let beforePrompt = 5; prompt("never answered? ")`, allow_stdin: true });
    await kernel.waitFor(() => kernel.stdinLog.some((m) => m.parent_header.msg_id === waiting.msgId), 30000, "input_request", "stdin");
    await kernel.request("control", "interrupt_request", {}, 10000);
    const reply = await withTimeout(waiting.reply, 10000, "reply of the interrupted prompt");
    assert.equal(reply.content.ename, "KeyboardInterrupt");
    assert.equal(resultText((await kernel.execute(`beforePrompt`)).outputs), "5");
    // The interrupt landed while the prompt waited outside the cell's context: output still finds its cell.
    const printed = await kernel.execute(`console.log("still routed"); setTimeout(() => console.log("late too"), 10); await new Promise((r) => setTimeout(r, 30));`);
    assert.deepEqual(printed.outputs.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text), ["still routed\n", "late too\n"]);
  });

  it("gives cells the kernel's comms: a frontend-opened comm echoes, a kernel-opened one reaches the frontend", async () => {
    const setup = await kernel.execute(`comms.registerTarget("echo", (comm, open) => { comm.onMsg((m) => comm.send({ echo: m.data, opened: open.data })); });`);
    assert.equal(setup.reply.content.status, "ok", JSON.stringify(setup.reply.content));
    const open = await kernel.send("shell", "comm_open", { comm_id: "real-1", target_name: "echo", data: { v: 1 } });
    await kernel.outputsOf(open.msgId);
    const msg = await kernel.send("shell", "comm_msg", { comm_id: "real-1", data: { n: 2 } });
    assert.deepEqual(ofType(await kernel.outputsOf(msg.msgId), "comm_msg")[0].content, { comm_id: "real-1", data: { echo: { n: 2 }, opened: { v: 1 } } });
    const opened = await kernel.execute(`const fromKernel = comms.open("frontend-side", { hello: "js" }); fromKernel.send({ step: 1 });`);
    const [commOpen] = ofType(opened.outputs, "comm_open");
    assert.equal(commOpen.content.target_name, "frontend-side");
    assert.deepEqual(ofType(opened.outputs, "comm_msg")[0].content, { comm_id: commOpen.content.comm_id, data: { step: 1 } });
    const info = await kernel.request("shell", "comm_info_request", { target_name: "echo" });
    assert.deepEqual(info.content.comms, { "real-1": { target_name: "echo" } });
  });

  it("sends a timer's late output with the parent header of the cell that started it", async () => {
    const starter = await kernel.execute(`setTimeout(() => console.log("late line"), 500);`);
    const other = await kernel.execute(`1 + 1`);
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.header.msg_type === "stream" && m.content.text.includes("late line")), 10000, "late output");
    const late = kernel.iopubLog.find((m) => m.header.msg_type === "stream" && m.content.text.includes("late line"))!;
    assert.equal(late.parent_header.msg_id, starter.msgId);
    assert.notEqual(late.parent_header.msg_id, other.msgId);
  });

  it("survives an error thrown by a timer and reports it on the cell that started it", async () => {
    const starter = await kernel.execute(`setTimeout(() => { throw new Error("timer boom"); }, 100);`);
    await kernel.waitFor(
      () => kernel.iopubLog.some((m) => m.parent_header.msg_id === starter.msgId && JSON.stringify(m.content).includes("timer boom")),
      10000,
      "the timer's error on its cell",
    );
    assert.equal(await kernel.heartbeat(2000), true);
    assert.equal(resultText((await kernel.execute(`kept + 1`)).outputs), "44");
  });
});
