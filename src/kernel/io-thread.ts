/**
 * The kernel's I/O thread: heartbeat (REP), control (ROUTER) and iopub (PUB).
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

const { connection, session } = workerData as IoThreadData;
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
// Outputs must leave even when the main thread hands over many at once.
iopub.sendHighWaterMark = 0;

async function bindAll(info: ConnectionInfo): Promise<void> {
  await Promise.all([
    heartbeat.bind(endpoint(info, "hb")),
    control.bind(endpoint(info, "control")),
    iopub.bind(endpoint(info, "iopub")),
  ]);
}

const logSendError = (error: Error): void => post({ type: "log", text: `send failed: ${error.message}` });
const iopubOut = serialSender(iopub, logSendError);
const controlOut = serialSender(control, logSendError);

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
async function runControl(): Promise<void> {
  for await (const frames of control) {
    const decoded = decode(frames, signer);
    if (decoded.kind === "bad-signature") {
      if (!warnedBadSignature) post({ type: "log", text: "dropped a control message with a bad or missing signature (further ones are dropped silently)" });
      warnedBadSignature = true;
      continue;
    }
    if (decoded.kind === "malformed") {
      post({ type: "log", text: `dropped a malformed control message: ${decoded.reason}` });
      continue;
    }
    try {
      await handleControl(decoded.message, frames);
    } catch (error) {
      post({ type: "log", text: `error while handling ${decoded.message.header.msg_type}: ${(error as Error).message}` });
    }
  }
}

async function handleControl(request: Message, frames: Buffer[]): Promise<void> {
  switch (request.header.msg_type) {
    case "interrupt_request":
      await publish(request, "status", { execution_state: "busy" });
      deliverInterrupt(interruptGate, (sequence) => post({ type: "interrupt", sequence }), raiseSigint);
      await reply(request, "interrupt_reply", { status: "ok" });
      await publish(request, "status", { execution_state: "idle" });
      break;
    case "shutdown_request": {
      const restart = request.content.restart === true;
      await publish(request, "status", { execution_state: "busy" });
      await reply(request, "shutdown_reply", { status: "ok", restart });
      await publish(request, "shutdown_reply", { status: "ok", restart });
      await publish(request, "status", { execution_state: "idle" });
      post({ type: "shutdown", restart });
      // Break a running synchronous cell so that the main thread gets to the shutdown.
      deliverInterrupt(interruptGate, (sequence) => post({ type: "interrupt", sequence }), raiseSigint);
      // A cell stuck in a loop that SIGINT cannot break must not keep the kernel alive.
      setTimeout(() => process.kill(process.pid, "SIGKILL"), SHUTDOWN_GRACE_MS).unref();
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
    case "close":
      void Promise.all([iopubOut.drained(), controlOut.drained()]).then(() => {
        for (const socket of [heartbeat, control, iopub]) socket.close();
        port.close();
      });
      break;
  }
});

try {
  await bindAll(connection);
  post({ type: "ready" });
} catch (error) {
  post({ type: "fatal", text: `cannot bind heartbeat/control/iopub: ${(error as Error).message}` });
}
void runHeartbeat().catch(() => undefined);
void runControl().catch(() => undefined);
