/**
 * Interrupts of the shipped kernel through interrupt_request, with jax-js's
 * wasm worker pool running (the default thread count): every interrupt of a
 * busy loop must land, and no interrupt may kill the kernel, whenever it comes.
 */
import assert from "node:assert/strict";
import { KernelClient, withTimeout } from "./client.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("tsnnx kernel interrupts (wasm worker pool running)", function () {
  this.timeout(600_000);
  let kernel: KernelClient;

  before(async () => {
    const env: Record<string, string> = { TSNNX_DEVICE: "wasm" };
    kernel = await KernelClient.start({ entry: "real", env });
    // A matmul big enough to start the worker pool.
    const warm = await kernel.execute(`import { numpy as np } from "@jax-js/jax";\nconst m = np.ones([256, 256]);\nawait np.matmul(m.ref, m).sum().jsAsync()`, {}, 240_000);
    assert.equal(warm.reply.content.status, "ok", JSON.stringify(warm.reply.content));
  });
  after(async () => {
    if (kernel) await withTimeout(kernel.shutdown(), 10_000, "shutdown").catch(() => undefined);
    kernel?.close();
  });

  it("breaks a busy loop 30 times in a row, at once or after a while", async () => {
    for (let round = 0; round < 30; round++) {
      const looping = await kernel.send("shell", "execute_request", { code: `while (true) {}` });
      await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === looping.msgId && m.header.msg_type === "execute_input"), 30_000, "the loop to start");
      await sleep(round % 3 === 0 ? 0 : 20 + ((round * 37) % 200));
      await kernel.request("control", "interrupt_request", {}, 10_000);
      const reply = await withTimeout(looping.reply, 10_000, `reply of interrupted loop ${round}`);
      assert.equal(reply.content.ename, "KeyboardInterrupt", `round ${round}: ${JSON.stringify(reply.content)}`);
    }
    assert.equal((await kernel.execute(`1 + 1`)).reply.content.status, "ok");
  });

  it("survives interrupts that land as short cells start and end", async () => {
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 60; round++) {
      const cell = await kernel.send("shell", "execute_request", { code: `{ const t = Date.now(); while (Date.now() - t < ${round % 4}) {} }` });
      await sleep((round * 7) % 90);
      await kernel.request("control", "interrupt_request", {}, 10_000);
      const reply = await withTimeout(cell.reply, 10_000, `reply of short cell ${round}`);
      const outcome = String(reply.content.ename ?? reply.content.status);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      assert.ok(["ok", "KeyboardInterrupt"].includes(outcome), `round ${round}: ${JSON.stringify(reply.content)}`);
    }
    assert.equal(await kernel.heartbeat(2000), true);
    assert.equal((await kernel.execute(`"alive"`)).reply.content.status, "ok", `outcomes ${JSON.stringify([...outcomes])}`);
    assert.equal(kernel.process.exitCode, null);
  });

  it("survives a burst of SIGINTs from outside the kernel while short cells start and end", async () => {
    let sent = 0;
    const burst = setInterval(() => {
      kernel.process.kill("SIGINT");
      if (++sent === 150) clearInterval(burst);
    }, 3);
    try {
      while (sent < 150) {
        const { reply } = await kernel.execute(`{ let s = 0; for (let i = 0; i < 20000; i++) s += i; }`, {}, 10_000);
        assert.ok(["ok", "error"].includes(String(reply.content.status)), JSON.stringify(reply.content));
        if (reply.content.status === "error") assert.equal(reply.content.ename, "KeyboardInterrupt", JSON.stringify(reply.content));
      }
    } finally {
      clearInterval(burst);
    }
    await sleep(200);
    assert.equal(kernel.process.exitCode, null, `the kernel died: ${kernel.stderr}`);
    assert.equal(kernel.process.signalCode, null, `the kernel was killed by ${kernel.process.signalCode}`);
    assert.equal((await kernel.execute(`"alive"`)).reply.content.status, "ok");
  });

  it("breaks busy loops after an await, with jax-js work in them, and survives interrupts as such cells end", async () => {
    for (let round = 0; round < 20; round++) {
      // Even rounds loop forever (the interrupt must end them); odd ones end by themselves around when the interrupt comes.
      const loop = round % 2 === 0 ? `while (true) { x = np.add(x, 1); }` : `{ const t = Date.now(); while (Date.now() - t < ${400 + ((round * 53) % 300)}) { x = np.add(x, 1); } }`;
      const cell = await kernel.send("shell", "execute_request", { code: `let x = np.zeros([16]); await new Promise((r) => setTimeout(r, ${round % 5})); ${loop}` });
      await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === cell.msgId && m.header.msg_type === "execute_input"), 30_000, "the cell to start");
      await sleep(50 + ((round * 31) % 150));
      await kernel.request("control", "interrupt_request", {}, 10_000);
      const reply = await withTimeout(cell.reply, 15_000, `reply of cell ${round}`);
      const outcome = String(reply.content.ename ?? reply.content.status);
      if (round % 2 === 0) assert.equal(outcome, "KeyboardInterrupt", `round ${round}: ${JSON.stringify(reply.content)}`);
      else assert.ok(["ok", "KeyboardInterrupt"].includes(outcome), `round ${round}: ${JSON.stringify(reply.content)}`);
    }
    assert.equal(await kernel.heartbeat(2000), true);
    const check = await kernel.execute(`await new Promise((r) => setTimeout(r, 5)); np.ones([4]).sum().item()`);
    assert.equal(check.reply.content.status, "ok", JSON.stringify(check.reply.content));
    assert.equal(kernel.process.exitCode, null);
  });

  // Last: it leaves the kernel in Node's own per-script SIGINT handling.
  it("hands SIGINT over to a listener that notebook code adds, and still interrupts on request", async () => {
    const setup = await kernel.execute(`let sigints = 0; process.on("SIGINT", () => { sigints++; });`);
    assert.equal(setup.reply.content.status, "ok", JSON.stringify(setup.reply.content));
    const looping = await kernel.send("shell", "execute_request", { code: `while (true) {}` });
    await kernel.waitFor(() => kernel.iopubLog.some((m) => m.parent_header.msg_id === looping.msgId && m.header.msg_type === "execute_input"), 30_000, "the loop to start");
    await sleep(100);
    await kernel.request("control", "interrupt_request", {}, 10_000);
    assert.equal((await withTimeout(looping.reply, 10_000, "reply of the interrupted loop")).content.ename, "KeyboardInterrupt");
    assert.match(kernel.stderr, /notebook code listens for SIGINT/);
    kernel.process.kill("SIGINT");
    await sleep(300);
    const counted = await kernel.execute(`sigints`);
    assert.equal(counted.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"], "1");
  });
});
