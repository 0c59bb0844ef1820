/**
 * The kernel's protocol server: shell on the main thread, where user code
 * runs; heartbeat, control, iopub and stdin on the I/O thread (io-thread.ts).
 * Shell requests are handled one at a time in arrival order, each framed by
 * iopub status busy/idle; the executor is created in the background once the
 * sockets are up, and only requests that run code wait for it.
 */
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import * as zmq from "zeromq";
import { CommManager } from "./comm.js";
import type { ConnectionInfo } from "./connection.js";
import { endpoint } from "./connection.js";
import type { CellIO, ExecuteOptions, ExecuteOutcome, Executor } from "./exec/index.js";
// Not through exec/index.js: that loads the executor (TypeScript, jax-js), which start-up must not wait for.
import { quietCellIO } from "./exec/quiet-io.js";
import { heapCollector } from "./heap-collector.js";
import { parseHelpRequest, type HelpRequest } from "./help-request.js";
import { HistoryStore, parseHistoryQuery } from "./history.js";
import type { FromIoThread, IoThreadData, ToIoThread } from "./io-thread-messages.js";
import { kernelInfo } from "./kernel-info.js";
import { serialSender, type SerialSender } from "./serial-socket.js";
import { createInterruptGate, interruptHandled, type InterruptGate } from "./interrupt-gate.js";
import { holdSigint } from "./sigint-hold.js";
import { StdinClient } from "./stdin-channel.js";
import { installTerminationHook } from "./terminate-main.js";
import { child, decode, encode, Signer, type Message } from "./wire.js";

export interface ExecutorOptions {
  /** Working directory of user code (relative imports, files). */
  cwd: string;
  /** The kernel's comms, for user code (`comms.registerTarget`, `comms.open`) and widgets. */
  comms: CommManager;
  /** Shared with the I/O thread, which raises SIGINT only when this says cell code can take it. */
  interruptGate: InterruptGate;
}

/**
 * Creates the executor (./exec/). The server calls it after its sockets are
 * up, so slow loading (TypeScript, jax-js) never delays kernel_info. The
 * executor routes uncaught errors to the cells that caused them itself.
 */
export type CreateExecutor = (options: ExecutorOptions) => Promise<Executor>;

export interface KernelOptions {
  connection: ConnectionInfo;
  createExecutor: CreateExecutor;
  /** JSON-lines history file shared by all sessions. */
  historyPath: string;
  cwd: string;
}

type Content = Record<string, unknown>;

/** How long after start-up the executor starts loading if no request asked for it before. */
const EXECUTOR_GRACE_MS = 300;

export class KernelServer {
  readonly #session = randomUUID();
  readonly #signer: Signer;
  readonly #shell = new zmq.Router();
  readonly #shellOut: SerialSender;
  readonly #io: Worker;
  readonly #history: Promise<HistoryStore>;
  readonly #comms: CommManager;
  readonly #info = kernelInfo();
  #executor: Promise<Executor> | undefined;
  #executorReady: Executor | undefined;
  /** Next execution_count, as IPython counts: only cells stored in history advance it. */
  #nextCount = 1;
  readonly #queue: Message[] = [];
  #pumping = false;
  /** Execute requests that arrived before a failing cell's error was handled (stop_on_error). */
  readonly #toAbort = new Set<Message>();
  #parent: Message | undefined;
  #lastCell: CellIO | undefined;
  readonly #stdinClient = new StdinClient();
  #warnedBadSignature = false;
  #shuttingDown = false;
  readonly #interruptGate = createInterruptGate();
  readonly #heap = heapCollector(undefined, () => {
    try {
      this.#executorReady?.prepareNextCell();
    } catch (error) {
      log(`working ahead for the next cell failed: ${(error as Error).stack ?? String(error)}`);
    }
  });

  private constructor(private readonly options: KernelOptions) {
    this.#signer = new Signer(options.connection.key, options.connection.signature_scheme);
    const logSendError = (error: Error): void => log(`send failed: ${error.message}`);
    this.#shellOut = serialSender(this.#shell, logSendError);
    const workerData: IoThreadData = {
      connection: options.connection,
      session: this.#session,
      interruptGate: this.#interruptGate,
      stdinAnswers: this.#stdinClient.answerPort,
      canTerminate: installTerminationHook(),
    };
    this.#io = startIoThread(workerData);
    this.#history = HistoryStore.open(options.historyPath);
    this.#history.catch((error: Error) => log(`history disabled: ${error.message}`));
    this.#comms = new CommManager(
      (msgType, content, metadata, buffers) => this.#publish(this.#parent, msgType, content, metadata, buffers),
      (error) => this.#reportUncaught(error),
    );
  }

  static async start(options: KernelOptions): Promise<KernelServer> {
    const server = new KernelServer(options);
    await server.#start();
    return server;
  }

  async #start(): Promise<void> {
    const ioReady = new Promise<void>((resolve, reject) => {
      this.#io.on("message", (message: FromIoThread) => {
        if (message.type === "ready") resolve();
        else if (message.type === "fatal") reject(new Error(message.text));
        else this.#onIoMessage(message);
      });
      this.#io.on("error", reject);
    });
    // Shell does not wait for the I/O thread (it needs tens of ms to load zeromq): what is
    // posted to it meanwhile is queued, and nobody can have subscribed to iopub before it binds.
    ioReady.catch((error: Error) => {
      log(error.message);
      process.exit(1);
    });
    // Without heartbeat, control and iopub the kernel is deaf: die visibly so Jupyter offers a restart.
    this.#io.on("exit", (code) => {
      if (this.#shuttingDown) return;
      log(`the I/O thread stopped (exit code ${code}); the kernel cannot go on`);
      process.exit(1);
    });
    const { connection } = this.options;
    await this.#shell.bind(endpoint(connection, "shell"));
    this.#publish(undefined, "status", { execution_state: "starting" });
    void this.#receiveShell();
    holdSigint(() => this.#interrupt());
    process.on("SIGTERM", () => void this.#shutdown());
    process.on("uncaughtException", (error) => this.#reportUncaught(error, true));
    process.on("unhandledRejection", (reason) => this.#reportUncaught(reason, true));
    // Loading the executor blocks the thread for a while (the TypeScript compiler is one big
    // module): start it once the first kernel_info is answered (clients send one on connecting),
    // or after a short grace period, or when a request needs it, whichever comes first.
    setTimeout(() => void this.#loadExecutor().catch(() => undefined), EXECUTOR_GRACE_MS);
  }

  /** Starts loading the executor the first time; a failure is logged once and then fails every cell with its message. */
  #loadExecutor(): Promise<Executor> {
    if (this.#executor === undefined) {
      this.#executor = this.options.createExecutor({ cwd: this.options.cwd, comms: this.#comms, interruptGate: this.#interruptGate }).then((executor) => {
        this.#executorReady = executor;
        return executor;
      });
      this.#executor.catch((error: Error) => log(`the executor failed to load: ${error.stack ?? error.message}`));
    }
    return this.#executor;
  }

  #publish(parent: Message | undefined, msgType: string, content: Content, metadata: Content = {}, buffers: Buffer[] = []): void {
    const message = { ...child(parent, msgType, content, this.#session), metadata, buffers };
    this.#post({ type: "publish", frames: encode(message, this.#signer) });
  }

  #post(message: ToIoThread): void {
    this.#io.postMessage(message);
  }

  #reply(request: Message, msgType: string, content: Content): Promise<void> {
    const frames = encode(child(request, msgType, content, this.#session, request.identities), this.#signer);
    return this.#shellOut.send(frames);
  }

  #decode(frames: Buffer[], channel: string): Message | undefined {
    const decoded = decode(frames, this.#signer);
    switch (decoded.kind) {
      case "message":
        return decoded.message;
      case "bad-signature":
        if (!this.#warnedBadSignature) log(`dropped a ${channel} message with a bad or missing signature (further ones are dropped silently)`);
        this.#warnedBadSignature = true;
        return undefined;
      case "malformed":
        log(`dropped a malformed ${channel} message: ${decoded.reason}`);
        return undefined;
    }
  }

  async #receiveShell(): Promise<void> {
    for await (const frames of this.#shell) {
      const message = this.#decode(frames, "shell");
      if (message === undefined) continue;
      this.#queue.push(message);
      void this.#pump();
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let message = this.#queue.shift(); message !== undefined; message = this.#queue.shift()) {
        await this.#handleShell(message);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #handleShell(request: Message): Promise<void> {
    const type = request.header.msg_type;
    this.#heap.busy();
    this.#parent = request;
    this.#publish(request, "status", { execution_state: "busy" });
    try {
      switch (type) {
        case "kernel_info_request":
          await this.#reply(request, "kernel_info_reply", this.#info);
          setImmediate(() => void this.#loadExecutor().catch(() => undefined));
          break;
        case "execute_request":
          await this.#execute(request);
          break;
        case "complete_request":
          await this.#complete(request);
          break;
        case "inspect_request":
          await this.#inspect(request);
          break;
        case "is_complete_request":
          await this.#isComplete(request);
          break;
        case "history_request":
          await this.#historyReply(request);
          break;
        case "comm_info_request": {
          const target = request.content.target_name;
          const comms = this.#comms.info(typeof target === "string" && target !== "" ? target : undefined);
          await this.#reply(request, "comm_info_reply", { status: "ok", comms });
          break;
        }
        case "comm_open":
        case "comm_msg":
        case "comm_close":
          try {
            this.#comms.receive(type, request.content, request.metadata, request.buffers);
          } catch (error) {
            log((error as Error).message);
          }
          break;
        case "shutdown_request":
          // Old clients send it on shell; new ones on control (handled by the I/O thread).
          await this.#reply(request, "shutdown_reply", { status: "ok", restart: request.content.restart === true });
          void this.#shutdown();
          break;
        default:
          log(`ignored unsupported shell message type "${type}"`);
      }
    } catch (error) {
      log(`error while handling ${type}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.#publish(request, "status", { execution_state: "idle" });
      if (type === "execute_request") this.#heap.cellDone();
    }
  }

  async #execute(request: Message): Promise<void> {
    const { content } = request;
    if (this.#toAbort.delete(request)) {
      await this.#reply(request, "execute_reply", { status: "aborted" });
      return;
    }
    const code = content.code;
    if (typeof code !== "string") {
      await this.#replyError(request, "execute_reply", "TypeError", `execute_request: code must be a string, got ${typeof code}`);
      return;
    }
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const count = this.#nextCount;
    if (storeHistory) this.#nextCount++;
    if (!silent) this.#publish(request, "execute_input", { code, execution_count: count });
    const io = this.#cellIO(request);
    if (!silent) this.#lastCell = io;
    const help = parseHelpRequest(code);
    const { outcome, payload } = help
      ? await this.#help(help, io)
      : { outcome: await this.#run(code, io, { silent, storeHistory, executionCount: count }), payload: [] };
    const replyCount = storeHistory ? count : this.#nextCount - 1;
    switch (outcome.status) {
      case "ok": {
        if (outcome.result !== undefined && !silent) {
          this.#publish(request, "execute_result", { execution_count: count, data: outcome.result.data, metadata: outcome.result.metadata });
        }
        if (storeHistory) this.#appendHistory(count, code, outcome.result?.data["text/plain"]);
        const userExpressions = await this.#userExpressions(content.user_expressions);
        await this.#reply(request, "execute_reply", { status: "ok", execution_count: replyCount, user_expressions: userExpressions, payload });
        break;
      }
      case "error": {
        const { ename, evalue, traceback } = outcome;
        this.#publish(request, "error", { ename, evalue, traceback });
        if (storeHistory) this.#appendHistory(count, code, undefined);
        if (content.stop_on_error !== false) await this.#abortQueued();
        await this.#reply(request, "execute_reply", { status: "error", execution_count: replyCount, ename, evalue, traceback });
        break;
      }
      case "aborted":
        await this.#reply(request, "execute_reply", { status: "aborted" });
        break;
    }
  }

  /** `name?`: the inspection goes to the pager (a `page` payload), as in IPython. */
  async #help(help: HelpRequest, io: CellIO): Promise<{ outcome: ExecuteOutcome; payload: Content[] }> {
    try {
      const executor = await this.#loadExecutor();
      const found = await executor.inspect(help.expression, Array.from(help.expression).length, help.detailLevel);
      if (found.found) return { outcome: { status: "ok" }, payload: [{ source: "page", data: found.data, start: 0 }] };
      io.stream("stdout", `Object \`${help.expression}\` not found.\n`);
      return { outcome: { status: "ok" }, payload: [] };
    } catch (error) {
      const e = asError(error);
      return { outcome: { status: "error", ename: e.name, evalue: e.message, traceback: [`${e.name}: ${e.message}`] }, payload: [] };
    }
  }

  /** Runs code; a failure of the executor itself becomes the cell's error, never the kernel's. */
  async #run(code: string, io: CellIO, options: ExecuteOptions): Promise<ExecuteOutcome> {
    try {
      const executor = await this.#loadExecutor();
      return await executor.execute(code, io, options);
    } catch (error) {
      const e = asError(error);
      return { status: "error", ename: e.name, evalue: e.message, traceback: (e.stack ?? `${e.name}: ${e.message}`).split("\n") };
    }
  }

  #appendHistory(count: number, code: string, output: unknown): void {
    void this.#history
      .then((history) => history.append(count, code, typeof output === "string" ? output : null))
      .catch(() => undefined);
  }

  /**
   * As ipykernel: execute requests that reached the kernel before a failing
   * cell's error was handled are aborted; later ones run. Requests still in
   * the socket's buffer (sent while the cell kept the thread busy) count as
   * arrived, so the receive loop gets a few turns to take them in first.
   */
  async #abortQueued(): Promise<void> {
    for (let seen = -1; seen !== this.#queue.length; ) {
      seen = this.#queue.length;
      await nextTurn();
      await nextTurn();
    }
    for (const queued of this.#queue) if (queued.header.msg_type === "execute_request") this.#toAbort.add(queued);
  }

  async #userExpressions(expressions: unknown): Promise<Content> {
    const results: Content = {};
    if (expressions === null || typeof expressions !== "object") return results;
    const quiet = quietCellIO("user_expressions cannot ask for input");
    for (const [name, expression] of Object.entries(expressions as Content)) {
      const outcome = await this.#run(String(expression), quiet, { silent: true, storeHistory: false, executionCount: this.#nextCount - 1 });
      results[name] =
        outcome.status === "ok"
          ? { status: "ok", data: outcome.result?.data ?? {}, metadata: outcome.result?.metadata ?? {} }
          : outcome.status === "error"
            ? { status: "error", ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback }
            : { status: "aborted" };
    }
    return results;
  }

  #cellIO(request: Message): CellIO {
    const allowStdin = request.content.allow_stdin === true;
    const inputRequestSender = (prompt: string, password: boolean) => {
      if (!allowStdin) throw new Error("input is not available: this frontend does not accept input requests (allow_stdin is false)");
      return (id: number): void => {
        const inputRequest = child(request, "input_request", { prompt, password }, this.#session, request.identities);
        this.#post({ type: "input-request", id, msgId: inputRequest.header.msg_id, frames: encode(inputRequest, this.#signer) });
      };
    };
    return {
      stream: (name, text) => this.#publish(request, "stream", { name, text }),
      display: (data, metadata, transient, update) =>
        this.#publish(request, update ? "update_display_data" : "display_data", { data, metadata, transient }),
      clearOutput: (wait) => this.#publish(request, "clear_output", { wait }),
      error: ({ ename, evalue, traceback }) => this.#publish(request, "error", { ename, evalue, traceback }),
      requestInput: (prompt, password) => {
        try {
          return this.#stdinClient.request(inputRequestSender(prompt, password));
        } catch (error) {
          return Promise.reject(error as Error);
        }
      },
      requestInputSync: (prompt, password) => this.#stdinClient.requestSync(inputRequestSender(prompt, password)),
    };
  }

  async #complete(request: Message): Promise<void> {
    const { code, cursor_pos } = request.content;
    try {
      const text = requireString(code, "complete_request", "code");
      const result = await (await this.#loadExecutor()).complete(text, cursorPosition(cursor_pos, text));
      await this.#reply(request, "complete_reply", {
        status: "ok", matches: result.matches, cursor_start: result.cursorStart, cursor_end: result.cursorEnd, metadata: result.metadata,
      });
    } catch (error) {
      await this.#replyError(request, "complete_reply", asError(error).name, asError(error).message);
    }
  }

  async #inspect(request: Message): Promise<void> {
    const { code, cursor_pos, detail_level } = request.content;
    try {
      const text = requireString(code, "inspect_request", "code");
      const result = await (await this.#loadExecutor()).inspect(text, cursorPosition(cursor_pos, text), detail_level === 1 ? 1 : 0);
      await this.#reply(request, "inspect_reply", { status: "ok", found: result.found, data: result.data, metadata: result.metadata });
    } catch (error) {
      await this.#replyError(request, "inspect_reply", asError(error).name, asError(error).message);
    }
  }

  async #isComplete(request: Message): Promise<void> {
    let content: Content;
    try {
      const text = requireString(request.content.code, "is_complete_request", "code");
      const result = await (await this.#loadExecutor()).isComplete(text);
      content = result.status === "incomplete" ? { status: "incomplete", indent: result.indent ?? "" } : { status: result.status };
    } catch (error) {
      log(`is_complete failed: ${asError(error).message}`);
      content = { status: "unknown" };
    }
    await this.#reply(request, "is_complete_reply", content);
  }

  async #historyReply(request: Message): Promise<void> {
    try {
      const query = parseHistoryQuery(request.content);
      const history = (await this.#history).query(query);
      await this.#reply(request, "history_reply", { status: "ok", history });
    } catch (error) {
      await this.#replyError(request, "history_reply", "ValueError", asError(error).message);
    }
  }

  #replyError(request: Message, msgType: string, ename: string, evalue: string): Promise<void> {
    return this.#reply(request, msgType, { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] });
  }

  /** interrupt_request (a message from the I/O thread, or SIGINT it raised), or SIGINT from elsewhere. */
  #interrupt(): void {
    this.#stdinClient.interrupt();
    this.#executorReady?.interrupt();
  }

  /**
   * Keeps the process alive whatever is thrown. Once the executor exists it
   * has its own handlers that attribute the error to the cell that caused it;
   * before that (or for comm handler errors) the error goes to the latest cell.
   */
  #reportUncaught(error: unknown, fromProcess = false): void {
    if (fromProcess && this.#executorReady !== undefined) return;
    try {
      const e = asError(error);
      const text = `Uncaught ${e.stack ?? `${e.name}: ${e.message}`}\n`;
      if (this.#lastCell !== undefined) this.#lastCell.stream("stderr", text);
      else log(text);
    } catch (inner) {
      log(`while reporting an uncaught error: ${String(inner)}`);
    }
  }

  #onIoMessage(message: Exclude<FromIoThread, { type: "ready" } | { type: "fatal" }>): void {
    switch (message.type) {
      case "log":
        log(message.text);
        break;
      case "shutdown":
        void this.#shutdown();
        break;
      case "interrupt":
        this.#interrupt();
        interruptHandled(this.#interruptGate, message.sequence);
        break;
      case "control":
        this.#handleControl(message.frames.map((frame) => Buffer.from(frame)));
        break;
    }
  }

  /** Control requests the I/O thread passes on; interrupt and shutdown it answers itself. */
  #handleControl(frames: Buffer[]): void {
    const request = this.#decode(frames, "control");
    if (request === undefined) return;
    const type = request.header.msg_type;
    this.#publish(request, "status", { execution_state: "busy" });
    const reply = (msgType: string, content: Content): void => {
      const out = encode(child(request, msgType, content, this.#session, request.identities), this.#signer);
      this.#post({ type: "control-reply", frames: out });
    };
    if (type === "kernel_info_request") reply("kernel_info_reply", this.#info);
    else log(`ignored unsupported control message type "${type}"`);
    this.#publish(request, "status", { execution_state: "idle" });
  }

  async #shutdown(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#interrupt();
    try {
      this.#executorReady?.dispose();
    } catch (error) {
      log(`while releasing the notebook: ${asError(error).message}`);
    }
    await this.#history.then((history) => history.close()).catch((error: Error) => log(`history not saved: ${error.message}`));
    await this.#shellOut.drained();
    const ioClosed = new Promise((resolve) => this.#io.once("exit", resolve));
    this.#post({ type: "close" });
    await ioClosed;
    this.#shell.close();
    process.exit(0);
  }
}

function startIoThread(workerData: IoThreadData): Worker {
  const transferList = [workerData.stdinAnswers.port];
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./io-thread.js", import.meta.url), { workerData, transferList });
  // Run from source under tsx (tests, development): Node 20 does not carry tsx's hooks into workers.
  const tsx = import.meta.resolve("tsx/esm/api");
  const source = new URL("./io-thread.ts", import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}

function log(text: string): void {
  process.stderr.write(`[tsnnx kernel] ${text}\n`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function requireString(value: unknown, msgType: string, field: string): string {
  if (typeof value !== "string") throw new TypeError(`${msgType}: ${field} must be a string, got ${typeof value}`);
  return value;
}

/** Checks cursor_pos; it stays in Jupyter's unit (code points), which the executor converts itself. */
function cursorPosition(value: unknown, code: string): number {
  const length = Array.from(code).length;
  if (value === undefined || value === null) return length;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > length) {
    throw new RangeError(`cursor_pos must be an integer from 0 to ${length} (the code's length in code points), got ${JSON.stringify(value)}`);
  }
  return value as number;
}
