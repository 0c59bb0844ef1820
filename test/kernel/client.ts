/**
 * A small Jupyter client for the kernel tests: starts a kernel process on a
 * fresh connection file and speaks the signed wire protocol to it over ZMQ.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";

export interface WireMessage {
  header: { msg_id: string; msg_type: string; session: string; [k: string]: unknown };
  parent_header: { msg_id?: string; msg_type?: string; [k: string]: unknown };
  metadata: Record<string, unknown>;
  content: Record<string, any>;
  buffers: Buffer[];
}

export const REPO = new URL("../../", import.meta.url).pathname;

/** Entry points a test can start: the shipped kernel, or the server with the test-only vm executor. */
export const ENTRIES = {
  real: ["--import", "tsx", join(REPO, "src/kernel/main.ts")],
  vm: ["--import", "tsx", join(REPO, "test/kernel/vm-kernel.ts")],
} as const;

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface StartOptions {
  entry?: keyof typeof ENTRIES;
  /** Any kernel's command line instead of an entry, with `{connection_file}` where the file goes (benchmarks compare kernels). */
  argv?: string[];
  env?: Record<string, string>;
  /** Scratch Jupyter data dir (history lives there); a fresh one by default. */
  dataDir?: string;
}

export class KernelClient {
  readonly session = randomUUID();
  // Reconnect fast: the sockets connect before the kernel binds, and zeromq waits 100 ms between attempts by default.
  readonly shell = new zmq.Dealer({ routingId: this.session, reconnectInterval: 5 });
  readonly stdin = new zmq.Dealer({ routingId: this.session, reconnectInterval: 5 });
  readonly control = new zmq.Dealer({ reconnectInterval: 5 });
  readonly iopub = new zmq.Subscriber({ reconnectInterval: 5 });
  readonly iopubLog: WireMessage[] = [];
  readonly stdinLog: WireMessage[] = [];
  stderr = "";
  /** From spawning the process to the first kernel_info_reply. */
  startupMs = NaN;
  firstReplyAt = NaN;
  exited: Promise<number | null>;
  #replies = new Map<string, (m: WireMessage) => void>();
  #iopubWaiters: (() => void)[] = [];
  #stdinWaiters: (() => void)[] = [];
  #sendQueue: Record<string, Promise<void>> = {};

  private constructor(readonly key: string, readonly ports: Record<string, number>, readonly process: ChildProcess, readonly dataDir: string) {
    this.exited = new Promise((resolve) => process.once("exit", (code) => resolve(code)));
    process.stderr?.on("data", (d) => (this.stderr += d.toString()));
  }

  static async start(options: StartOptions = {}): Promise<KernelClient> {
    const dir = mkdtempSync(join(os.tmpdir(), "tsnnx-kernel-"));
    const [shell, control, iopub, stdin, hb] = await freePorts(5);
    const ports = { shell, control, iopub, stdin, hb };
    const key = randomBytes(16).toString("hex");
    const connectionFile = join(dir, "connection.json");
    writeFileSync(connectionFile, JSON.stringify({
      transport: "tcp", ip: "127.0.0.1", key, signature_scheme: "hmac-sha256",
      shell_port: shell, control_port: control, iopub_port: iopub, stdin_port: stdin, hb_port: hb,
    }));
    const dataDir = options.dataDir ?? join(dir, "data");
    const [command, ...args] = options.argv?.map((a) => a.replace("{connection_file}", connectionFile)) ?? [process.execPath, ...ENTRIES[options.entry ?? "vm"], "-f", connectionFile];
    const spawnedAt = performance.now();
    const child = spawn(command, args, {
      cwd: REPO,
      // A JPY_PARENT_PID inherited from a Jupyter that runs these tests would make the kernel watch the wrong parent.
      env: { ...process.env, JPY_PARENT_PID: undefined, JUPYTER_DATA_DIR: dataDir, ...options.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const client = new KernelClient(key, ports, child, dataDir);
    client.#connect();
    await client.waitReady();
    client.startupMs = client.firstReplyAt - spawnedAt;
    return client;
  }

  #connect(): void {
    const url = (port: number) => `tcp://127.0.0.1:${port}`;
    this.shell.connect(url(this.ports.shell));
    this.stdin.connect(url(this.ports.stdin));
    this.control.connect(url(this.ports.control));
    this.iopub.connect(url(this.ports.iopub));
    this.iopub.subscribe();
    void this.#receive(this.shell, (m) => this.#replies.get(m.parent_header.msg_id!)?.(m));
    void this.#receive(this.control, (m) => this.#replies.get(m.parent_header.msg_id!)?.(m));
    void this.#receive(this.iopub, (m) => { this.iopubLog.push(m); this.#iopubWaiters.splice(0).forEach((w) => w()); });
    void this.#receive(this.stdin, (m) => { this.stdinLog.push(m); this.#stdinWaiters.splice(0).forEach((w) => w()); });
  }

  async #receive(socket: zmq.Dealer | zmq.Subscriber, onMessage: (m: WireMessage) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        const start = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
        const [signature, ...parts] = frames.slice(start + 1);
        if (this.sign(parts.slice(0, 4)) !== signature.toString()) throw new Error("kernel sent a message with a bad signature");
        const [header, parent_header, metadata, content] = parts.slice(0, 4).map((p) => JSON.parse(p.toString()));
        onMessage({ header, parent_header, metadata, content, buffers: parts.slice(4) });
      }
    } catch (error) {
      if (!(socket.closed)) throw error;
    }
  }

  sign(parts: Buffer[]): string {
    const hmac = createHmac("sha256", this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest("hex");
  }

  /** The frames of a signed message; `signature` overrides the real one (for rejection tests), `parent` names the message answered. */
  frames(msgType: string, content: Record<string, unknown>, options: { signature?: string; metadata?: Record<string, unknown>; buffers?: Buffer[]; parent?: WireMessage["header"] } = {}): { msgId: string; frames: Buffer[] } {
    const msgId = randomUUID();
    const header = { msg_id: msgId, msg_type: msgType, session: this.session, username: "test", date: new Date().toISOString(), version: "5.3" };
    const parts = [header, options.parent ?? {}, options.metadata ?? {}, content].map((p) => Buffer.from(JSON.stringify(p)));
    const signature = options.signature ?? this.sign(parts);
    return { msgId, frames: [Buffer.from("<IDS|MSG>"), Buffer.from(signature), ...parts, ...(options.buffers ?? [])] };
  }

  async sendRaw(channel: "shell" | "control" | "stdin", frames: Buffer[]): Promise<void> {
    const socket = this[channel];
    const previous = this.#sendQueue[channel] ?? Promise.resolve();
    const next = previous.then(() => socket.send(frames));
    this.#sendQueue[channel] = next.catch(() => undefined);
    await next;
  }

  /** Sends a request and returns its id and a promise of its reply. */
  async send(channel: "shell" | "control" | "stdin", msgType: string, content: Record<string, unknown>, options: { metadata?: Record<string, unknown>; buffers?: Buffer[] } = {}): Promise<{ msgId: string; reply: Promise<WireMessage> }> {
    const { msgId, frames } = this.frames(msgType, content, options);
    const reply = new Promise<WireMessage>((resolve) => this.#replies.set(msgId, resolve));
    await this.sendRaw(channel, frames);
    return { msgId, reply };
  }

  async request(channel: "shell" | "control", msgType: string, content: Record<string, unknown> = {}, timeoutMs = 20000): Promise<WireMessage> {
    const { reply } = await this.send(channel, msgType, content);
    return withTimeout(reply, timeoutMs, `${msgType} on ${channel}`);
  }

  /** Resolves with the iopub messages whose parent is msgId, once its status idle has been published. */
  async outputsOf(msgId: string, timeoutMs = 20000): Promise<WireMessage[]> {
    const done = () => this.iopubLog.some((m) => m.parent_header.msg_id === msgId && m.header.msg_type === "status" && m.content.execution_state === "idle");
    await this.waitFor(done, timeoutMs, `status idle for ${msgId}`);
    return this.iopubLog.filter((m) => m.parent_header.msg_id === msgId);
  }

  async waitFor(predicate: () => boolean, timeoutMs: number, what: string, log: "iopub" | "stdin" = "iopub"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; kernel stderr:\n${this.stderr}`);
      const waiters = log === "iopub" ? this.#iopubWaiters : this.#stdinWaiters;
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, Math.min(left, 200)); waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }

  /** Executes code; resolves with the reply and the request's iopub messages (through status idle). */
  async execute(code: string, content: Record<string, unknown> = {}, timeoutMs = 20000): Promise<{ reply: WireMessage; outputs: WireMessage[]; msgId: string }> {
    const { msgId, reply } = await this.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...content });
    const [r, outputs] = await Promise.all([withTimeout(reply, timeoutMs, `execute_reply to ${JSON.stringify(code)}`), this.outputsOf(msgId, timeoutMs)]);
    return { reply: r, outputs, msgId };
  }

  /** kernel_info until it answers and its iopub status arrives (a SUB socket misses what was published before it joined). */
  async waitReady(timeoutMs = 30000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { msgId, reply } = await this.send("shell", "kernel_info_request", {});
      try {
        const r = await withTimeout(reply, Math.max(1, Math.min(2000, deadline - Date.now())), "kernel_info_reply");
        if (Number.isNaN(this.firstReplyAt)) this.firstReplyAt = performance.now();
        await this.outputsOf(msgId, Math.max(1, Math.min(500, deadline - Date.now())));
        return r;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`kernel not ready: ${(error as Error).message}`);
        if (this.process.exitCode !== null) throw new Error(`kernel exited with ${this.process.exitCode}:\n${this.stderr}`);
      }
    }
  }

  /** One ping on a fresh REQ socket (a REQ that got no answer cannot send again). */
  async heartbeat(timeoutMs: number): Promise<boolean> {
    const hb = new zmq.Request({ linger: 0 });
    hb.connect(`tcp://127.0.0.1:${this.ports.hb}`);
    const payload = Buffer.from(randomUUID());
    try {
      await hb.send(payload);
      const [echo] = await withTimeout(hb.receive(), timeoutMs, "heartbeat");
      return echo.equals(payload);
    } catch {
      return false;
    } finally {
      hb.close();
    }
  }

  close(): void {
    for (const socket of [this.shell, this.stdin, this.control, this.iopub]) if (!socket.closed) socket.close();
    if (this.process.exitCode === null) this.process.kill("SIGKILL");
  }

  async shutdown(restart = false): Promise<WireMessage> {
    const reply = await this.request("control", "shutdown_request", { restart });
    return reply;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
