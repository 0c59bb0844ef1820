/** What the main thread and the I/O thread (io-thread.ts) say to each other. */
import type { ConnectionInfo } from "./connection.js";

export interface IoThreadData {
  connection: ConnectionInfo;
  /** The kernel's session id, used in the headers of the messages the I/O thread writes itself. */
  session: string;
}

export type ToIoThread =
  | { type: "publish"; frames: Uint8Array[] }
  | { type: "control-reply"; frames: Uint8Array[] }
  | { type: "close" };

export type FromIoThread =
  | { type: "ready" }
  | { type: "fatal"; text: string }
  | { type: "log"; text: string }
  /** A control request the main thread answers (kernel_info, usage, ...), still signed and unparsed. */
  | { type: "control"; frames: Uint8Array[] }
  | { type: "shutdown"; restart: boolean };
