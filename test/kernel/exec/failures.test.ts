import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Notebook } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");

interface Message {
  event: "started" | "output" | "done" | "late";
  cell: number;
  outcome?: { status: string; ename?: string; evalue?: string; traceback?: string[]; result?: { data: Record<string, unknown> } };
  outputs?: { type: string; name?: string; text?: string; content?: { ename: string; evalue: string; traceback: string[] } }[];
  output?: { type: string; content?: { ename: string; evalue: string; traceback: string[] } };
}

/** The notebook of test/kernel/exec/fixtures/child-notebook.ts in a child process. */
class ChildNotebook {
  private readonly messages: Message[] = [];
  private waiters: (() => void)[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  stderr = "";

  constructor() {
    this.child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/child-notebook.ts"), os.tmpdir()], {
      cwd: repoRoot,
      // One wasm thread: this child takes SIGINT from outside, raised once. With the worker pool
      // running such a SIGINT is sometimes lost; the kernel's own interrupts (interrupt-gate.ts)
      // raise it again until it lands, tested with the pool in test/kernel/interrupt.test.ts.
      env: { ...process.env, TSNNX_DEVICE: "wasm", TSNNX_THREADS: "1" },
    });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (process.env.TSNNX_DEBUG_CHILD) process.stderr.write(`child: ${line.slice(0, 160)}\n`);
      this.messages.push(JSON.parse(line) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async next(match: (m: Message) => boolean, timeoutMs = 60_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(match);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the child notebook exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`no matching message in ${timeoutMs} ms; unmatched: ${JSON.stringify(this.messages)}; stderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  send(code: string): void {
    this.child.stdin.write(JSON.stringify({ code }) + "\n");
  }

  async run(code: string): Promise<Message> {
    this.send(code);
    const started = await this.next((m) => m.event === "started");
    const done = await this.next((m) => m.event === "done" && m.cell === started.cell);
    this.drop((m) => m.event === "output" && m.cell === started.cell);
    return done;
  }

  private drop(match: (m: Message) => boolean): void {
    for (let i = this.messages.length - 1; i >= 0; i--) if (match(this.messages[i]!)) this.messages.splice(i, 1);
  }

  close(): void {
    this.child.kill("SIGKILL");
  }
}

describe("kernel exec: interrupts and stray errors (child process)", function () {
  this.timeout(180_000);
  let nb: ChildNotebook;
  before(async () => {
    nb = new ChildNotebook();
    const warm = await nb.run("1 + 1");
    assert.equal(warm.outcome?.status, "ok", nb.stderr);
  });
  after(() => nb.close());

  it("SIGINT breaks a busy synchronous loop; the notebook keeps its state", async () => {
    await nb.run("let spins = 0;");
    // The output comes from inside the loop, so the SIGINT cannot land before the loop ran.
    nb.send("while (true) { if (++spins === 1000) console.log('looping'); }");
    const started = await nb.next((m) => m.event === "started");
    await nb.next((m) => m.event === "output" && m.cell === started.cell);
    nb.child.kill("SIGINT");
    const done = await nb.next((m) => m.event === "done" && m.cell === started.cell);
    assert.equal(done.outcome?.status, "error");
    assert.equal(done.outcome?.ename, "KeyboardInterrupt");
    const after = await nb.run("spins > 0");
    assert.deepEqual(after.outcome?.result?.data, { "text/plain": "true" });
  });

  it("SIGINT rejects a pending await (through interrupt()); state is kept", async () => {
    // 'waiting' comes from a timer, once the cell's synchronous part is over: Node's vm leaves
    // SIGINT unhandled for an instant as that part ends (see the note in executor.ts).
    nb.send("let stage = 'before';\nsetTimeout(() => console.log('waiting'), 50);\nawait new Promise(() => {});\nstage = 'after';");
    const started = await nb.next((m) => m.event === "started");
    await nb.next((m) => m.event === "output" && m.cell === started.cell);
    nb.child.kill("SIGINT");
    const done = await nb.next((m) => m.event === "done" && m.cell === started.cell);
    assert.equal(done.outcome?.ename, "KeyboardInterrupt");
    assert.deepEqual((await nb.run("stage")).outcome?.result?.data, { "text/plain": "'before'" });
  });

  it("an error thrown by a timer ends the running cell that started it", async () => {
    const done = await nb.run(
      "setTimeout(() => { throw new TypeError('thrown in a timer'); }, 10);\nawait new Promise((r) => setTimeout(r, 2000));\n'unreached'",
    );
    assert.equal(done.outcome?.status, "error");
    assert.equal(done.outcome?.ename, "TypeError");
    assert.equal(done.outcome?.evalue, "thrown in a timer");
    assert.match(done.outcome!.traceback![1]!, /^ {4}at Timeout\._onTimeout \(cell\[\d+\]:1:26\)$|^ {4}at cell\[\d+\]:1:26$/);
  });

  it("an unhandled rejection ends the running cell", async () => {
    const done = await nb.run("Promise.reject(new Error('nobody awaited me'));\nawait new Promise((r) => setTimeout(r, 2000));");
    assert.equal(done.outcome?.evalue, "nobody awaited me");
  });

  it("errors after a cell finished become late error outputs of that cell; the kernel lives on", async () => {
    const done = await nb.run(
      "setTimeout(() => { throw new Error('late timer'); }, 100);\nsetTimeout(() => Promise.reject(new Error('late rejection')), 200);\n'finished'",
    );
    assert.deepEqual(done.outcome?.result?.data, { "text/plain": "'finished'" });
    const first = await nb.next((m) => m.event === "late" && m.cell === done.cell);
    const second = await nb.next((m) => m.event === "late" && m.cell === done.cell);
    assert.deepEqual(
      [first, second].map((m) => [m.output?.type, m.output?.content?.evalue]),
      [["error", "late timer"], ["error", "late rejection"]],
    );
    const alive = await nb.run("'still here'");
    assert.deepEqual(alive.outcome?.result?.data, { "text/plain": "'still here'" });
    assert.equal(nb.child.exitCode, null);
  });
});

describe("kernel exec: interrupt() of a pending await", function () {
  this.timeout(120_000);
  it("rejects the await with KeyboardInterrupt and keeps the notebook's state", async () => {
    const nb = await Notebook.open();
    try {
      const running = nb.run("let progress = 'started';\nawait new Promise(() => {});\nprogress = 'finished';");
      await new Promise((r) => setTimeout(r, 300));
      nb.executor.interrupt();
      const { outcome } = await running;
      assert.deepEqual(outcome, {
        status: "error",
        ename: "KeyboardInterrupt",
        evalue: "the cell was interrupted",
        traceback: ["KeyboardInterrupt: the cell was interrupted"],
      });
      assert.equal(await nb.value("progress"), "'started'");
      nb.executor.interrupt(); // nothing running: no effect
      assert.equal(await nb.value("1 + 1"), "2");
    } finally {
      nb.executor.dispose();
    }
  });

  it("stops an interrupted cell's body at its next await: a loop of awaits does not run on", async () => {
    const nb = await Notebook.open();
    try {
      const running = nb.run("let ticks = 0;\nwhile (true) { await new Promise((r) => setTimeout(r, 5)); ticks++; }");
      await new Promise((r) => setTimeout(r, 300));
      nb.executor.interrupt();
      const { outcome } = await running;
      assert.equal(outcome.status === "error" ? outcome.ename : outcome.status, "KeyboardInterrupt");
      const first = Number(await nb.value("ticks"));
      assert.ok(first > 0, `the loop ran before the interrupt (ticks ${first})`);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(Number(await nb.value("ticks")), first);
    } finally {
      nb.executor.dispose();
    }
  });
});
