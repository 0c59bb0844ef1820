/** What the main thread and the I/O thread (io-thread.ts) say to each other. */
import type { ConnectionInfo } from "./connection.js";
import type { InterruptGate } from "./interrupt-gate.js";
import type { StdinAnswerPort } from "./stdin-channel.js";

export interface IoThreadData {
  connection: ConnectionInfo;
  /** The kernel's session id, used in the headers of the messages the I/O thread writes itself. */
  session: string;
  /** Says when SIGINT may be raised (see interrupt-gate.ts). */
  interruptGate: InterruptGate;
  /** Where input_reply answers go back to the main thread (see stdin-channel.ts); its port is transferred. */
  stdinAnswers: StdinAnswerPort;
  /** Whether the main thread installed the hook that lets its cell code be terminated (terminate-main.ts). */
  canTerminate: boolean;
}

export type ToIoThread =
  | { type: "publish"; frames: Uint8Array[] }
  | { type: "control-reply"; frames: Uint8Array[] }
  /**
   * An input_request, signed, to send on stdin; the answer goes back tagged
   * with `id`. `msgId` is the request's header msg_id, which a reply names as
   * its parent.
   */
  | { type: "input-request"; id: number; msgId: string; frames: Uint8Array[] }
  | { type: "close" };

export type FromIoThread =
  | { type: "ready" }
  | { type: "fatal"; text: string }
  | { type: "log"; text: string }
  /** A control request the main thread answers (kernel_info, usage, ...), still signed and unparsed. */
  | { type: "control"; frames: Uint8Array[] }
  | { type: "shutdown"; restart: boolean }
  /** interrupt_request number `sequence`: interrupt the cell, then report it handled on the gate. */
  | { type: "interrupt"; sequence: number };
