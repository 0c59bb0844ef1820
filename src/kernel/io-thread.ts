/**
 * The kernel's I/O thread: heartbeat (REP), control (ROUTER), iopub (PUB) and
 * stdin (ROUTER; here so that a cell blocked in a synchronous `prompt()` still
 * gets its reply, see stdin-channel.ts).
 * It lives in a worker so that these channels stay alive while user code keeps
 * the main thread busy: the heartbeat keeps answering, outputs printed by a
 * long synchronous loop leave as they are produced, and an interrupt_request
 * can stop that loop: it raises SIGINT on the process while the interrupt
 * gate says cell code runs under the executor's `vm` watchdog (which turns it
 * into an exception), and otherwise tells the main thread, whose executor
 * rejects the cell's pending awaits (see interrupt-gate.ts).
 *
 * It answers interrupt, shutdown and usage requests itself (so they work while a
 * cell blocks the main thread); other control requests go to the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection.js";
import { child, decode, encode, Signer, type Message } from "./wire.js";
import { serialSender } from "./serial-socket.js";
import { createUsageSampler } from "./usage.js";
import { checkInterruptGate, deliverInterrupt } from "./interrupt-gate.js";
import type { FromIoThread, IoThreadData, ToIoThread } from "./io-thread-messages.js";
import { postAnswer } from "./stdin-channel.js";
import { mainThreadTerminator } from "./terminate-main.js";

const { connection, session, stdinAnswers, canTerminate } = workerData as IoThreadData;
const interruptGate = checkInterruptGate((workerData as IoThreadData).interruptGate);
const port = parentPort!;
const signer = new Signer(connection.key, connection.signature_scheme);
const post = (message: FromIoThread): void => port.postMessage(message);
const sampleUsage = createUsageSampler();

/** If the main thread does not exit this long after a shutdown_request, the process is ended from here. */
const SHUTDOWN_GRACE_MS = 3000;

const heartbeat = new zmq.Reply();
// Linger so that the last replies (shutdown_reply) still leave when the sockets close.
const control = new zmq.Router({ linger: 2000 });
const iopub = new zmq.Publisher({ linger: 2000 });
const stdin = new zmq.Router();
// Outputs must leave even when the main thread hands over many at once.
iopub.sendHighWaterMark = 0;

async function bindAll(info: ConnectionInfo): Promise<void> {
  await Promise.all([
    heartbeat.bind(endpoint(info, "hb")),
    control.bind(endpoint(info, "control")),
    iopub.bind(endpoint(info, "iopub")),
    stdin.bind(endpoint(info, "stdin")),
  ]);
}

const logSendError = (error: Error): void => post({ type: "log", text: `send failed: ${error.message}` });
const iopubOut = serialSender(iopub, logSendError);
const controlOut = serialSender(control, logSendError);
const stdinOut = serialSender(stdin, logSendError);
/** The input request waiting for its input_reply: the id the main thread gave it and its header's msg_id. */
let waitingInput: { id: number; msgId: string } | undefined;

function publish(parent: Message, msgType: string, content: Record<string, unknown>): Promise<void> {
  return iopubOut.send(encode(child(parent, msgType, content, session), signer));
}

function reply(request: Message, msgType: string, content: Record<string, unknown>): Promise<void> {
  return controlOut.send(encode(child(request, msgType, content, session, request.identities), signer));
}

function raiseSigint(): void {
  process.kill(process.pid, "SIGINT");
}

async function runHeartbeat(): Promise<void> {
  for await (const frames of heartbeat) await heartbeat.send(frames);
}

let warnedBadSignature = false;
function decodeOrLog(frames: Buffer[], channel: string): Message | undefined {
  const decoded = decode(frames, signer);
  if (decoded.kind === "bad-signature") {
    if (!warnedBadSignature) post({ type: "log", text: `dropped a ${channel} message with a bad or missing signature (further ones are dropped silently)` });
    warnedBadSignature = true;
    return undefined;
  }
  if (decoded.kind === "malformed") {
    post({ type: "log", text: `dropped a malformed ${channel} message: ${decoded.reason}` });
    return undefined;
  }
  return decoded.message;
}

async function runStdin(): Promise<void> {
  for await (const frames of stdin) {
    const message = decodeOrLog(frames, "stdin");
    if (message?.header.msg_type !== "input_reply") continue;
    if (waitingInput === undefined) {
      post({ type: "log", text: "dropped an input_reply that answers no pending input_request" });
      continue;
    }
    // JupyterLab names the request it answers; jupyter_client sends no parent,
    // and then the pending request is the only one it can answer.
    const answers = message.parent_header.msg_id;
    if (answers !== undefined && answers !== waitingInput.msgId) {
      post({ type: "log", text: `dropped an input_reply to input_request ${answers}, which is no longer pending` });
      continue;
    }
    postAnswer(stdinAnswers, { id: waitingInput.id, outcome: { kind: "reply", value: String(message.content.value ?? "") } });
    waitingInput = undefined;
  }
}

const terminateCellCode = canTerminate ? mainThreadTerminator() : undefined;

function terminate(stillWanted: () => boolean): void {
  if (terminateCellCode === undefined) return;
  terminateCellCode(stillWanted).then(
    (outcome) => post({ type: "log", text: `a cell ignored an interrupt for a while after an await; termination: ${outcome}` }),
    (error: Error) => post({ type: "log", text: `terminating a cell's code failed: ${error.message}` }),
  );
}

/**
 * An interrupt also ends a pending input request: a prompt() blocked outside
 * the SIGINT watchdog (after an await) could not be stopped otherwise. Under
 * the watchdog the signal ends it, and an answer now would let the cell leave
 * its script before the signal lands (which would then kill the process).
 */
function interruptMainThread(): void {
  const signalled = deliverInterrupt(interruptGate, { notify: (sequence) => post({ type: "interrupt", sequence }), raise: raiseSigint, terminate });
  if (waitingInput === undefined) return;
  if (!signalled) postAnswer(stdinAnswers, { id: waitingInput.id, outcome: { kind: "interrupted" } });
  waitingInput = undefined;
}

function shutDown(restart: boolean): void {
  post({ type: "shutdown", restart });
  // Break a running synchronous cell so that the main thread gets to the shutdown.
  interruptMainThread();
  // A cell stuck in a loop that SIGINT cannot break must not keep the kernel alive.
  setTimeout(() => process.kill(process.pid, "SIGKILL"), SHUTDOWN_GRACE_MS).unref();
}

const PARENT_POLL_MS = 1000;

/**
 * As ipykernel does with JPY_PARENT_PID (set by jupyter_client): a kernel
 * whose launcher died, a Jupyter server killed outright, shuts itself down
 * rather than live on as an orphan nobody can reach.
 */
function watchParent(): void {
  const parent = Number(process.env.JPY_PARENT_PID);
  // PID 1 never goes away; it only adopts.
  if (!Number.isInteger(parent) || parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    post({ type: "log", text: `the process that started the kernel (pid ${parent}) is gone: shutting down` });
    shutDown(false);
  }, PARENT_POLL_MS);
  timer.unref();
}

async function runControl(): Promise<void> {
  for await (const frames of control) {
    const message = decodeOrLog(frames, "control");
    if (message === undefined) continue;
    try {
      await handleControl(message, frames);
    } catch (error) {
      post({ type: "log", text: `error while handling ${message.header.msg_type}: ${(error as Error).message}` });
    }
  }
}

async function handleControl(request: Message, frames: Buffer[]): Promise<void> {
  switch (request.header.msg_type) {
    case "interrupt_request":
      await publish(request, "status", { execution_state: "busy" });
      interruptMainThread();
      await reply(request, "interrupt_reply", { status: "ok" });
      await publish(request, "status", { execution_state: "idle" });
      break;
    case "shutdown_request": {
      const restart = request.content.restart === true;
      await publish(request, "status", { execution_state: "busy" });
      await reply(request, "shutdown_reply", { status: "ok", restart });
      await publish(request, "shutdown_reply", { status: "ok", restart });
      await publish(request, "status", { execution_state: "idle" });
      shutDown(restart);
      break;
    }
    case "usage_request":
      await publish(request, "status", { execution_state: "busy" });
      await reply(request, "usage_reply", { status: "ok", ...sampleUsage() });
      await publish(request, "status", { execution_state: "idle" });
      break;
    default:
      post({ type: "control", frames });
  }
}

port.on("message", (message: ToIoThread) => {
  switch (message.type) {
    case "publish":
      void iopubOut.send(message.frames.map((frame) => Buffer.from(frame)));
      break;
    case "control-reply":
      void controlOut.send(message.frames.map((frame) => Buffer.from(frame)));
      break;
    case "input-request":
      waitingInput = { id: message.id, msgId: message.msgId };
      void stdinOut.send(message.frames.map((frame) => Buffer.from(frame)));
      break;
    case "close":
      void Promise.all([iopubOut.drained(), controlOut.drained(), stdinOut.drained()]).then(() => {
        for (const socket of [heartbeat, control, iopub, stdin]) socket.close();
        stdinAnswers.port.close();
        port.close();
      });
      break;
  }
});

try {
  await bindAll(connection);
  post({ type: "ready" });
} catch (error) {
  post({ type: "fatal", text: `cannot bind heartbeat/control/iopub/stdin: ${(error as Error).message}` });
}
void runHeartbeat().catch(() => undefined);
void runControl().catch(() => undefined);
void runStdin().catch(() => undefined);
watchParent();
