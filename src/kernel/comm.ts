/**
 * Kernel-side comms (the channel widgets are built on): a target registry for
 * comms the frontend opens, comms the kernel opens itself, and the send /
 * onMsg / onClose API that user code sees. The server feeds the frontend's
 * comm_open / comm_msg / comm_close into `receive`; everything the kernel says
 * goes out through the `publish` function it was given (iopub, with the
 * request being handled as parent).
 */
import { randomUUID } from "node:crypto";

export type JsonObject = Record<string, unknown>;

export interface CommMessage {
  data: JsonObject;
  metadata: JsonObject;
  buffers: Buffer[];
}

export type CommPublish = (msgType: "comm_open" | "comm_msg" | "comm_close", content: JsonObject, metadata: JsonObject, buffers: Buffer[]) => void;
export type CommTargetHandler = (comm: Comm, open: CommMessage) => void;
type Listener = (message: CommMessage) => void;

export class Comm {
  #closed = false;
  readonly #msgListeners: Listener[] = [];
  readonly #closeListeners: Listener[] = [];

  constructor(
    readonly id: string,
    readonly targetName: string,
    private readonly publish: CommPublish,
    private readonly forget: (id: string) => void,
    private readonly onListenerError: (error: unknown) => void,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  send(data: JsonObject = {}, metadata: JsonObject = {}, buffers: Buffer[] = []): void {
    if (this.#closed) throw new Error(`comm ${this.id} (target "${this.targetName}") is closed; cannot send`);
    this.publish("comm_msg", { comm_id: this.id, data }, metadata, buffers);
  }

  /** Closes from the kernel side: tells the frontend, runs onClose listeners. Closing twice does nothing. */
  close(data: JsonObject = {}, metadata: JsonObject = {}, buffers: Buffer[] = []): void {
    if (this.#closed) return;
    this.publish("comm_close", { comm_id: this.id, data }, metadata, buffers);
    this.closedByPeer({ data, metadata, buffers });
  }

  onMsg(listener: Listener): void {
    this.#msgListeners.push(listener);
  }

  onClose(listener: Listener): void {
    this.#closeListeners.push(listener);
  }

  /** @internal the frontend sent a comm_msg. */
  deliver(message: CommMessage): void {
    for (const listener of this.#msgListeners) this.#call(listener, message);
  }

  /** @internal the comm is closed (by the frontend, or by `close`). */
  closedByPeer(message: CommMessage): void {
    if (this.#closed) return;
    this.#closed = true;
    this.forget(this.id);
    for (const listener of this.#closeListeners) this.#call(listener, message);
  }

  #call(listener: Listener, message: CommMessage): void {
    try {
      listener(message);
    } catch (error) {
      this.onListenerError(error);
    }
  }
}

export class CommManager {
  readonly #targets = new Map<string, CommTargetHandler>();
  readonly #comms = new Map<string, Comm>();

  /**
   * @param publish sends a comm message to the frontend
   * @param onListenerError receives errors thrown by user handlers (they must not break the kernel)
   */
  constructor(
    private readonly publish: CommPublish,
    private readonly onListenerError: (error: unknown) => void,
  ) {}

  /** Handles comms the frontend opens with this target name; replaces an earlier handler of the same name. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    if (typeof targetName !== "string" || targetName === "") throw new Error("registerTarget: target name must be a non-empty string");
    this.#targets.set(targetName, handler);
  }

  unregisterTarget(targetName: string): void {
    this.#targets.delete(targetName);
  }

  /** Opens a comm from the kernel; the frontend must have a handler for `targetName`. */
  open(targetName: string, data: JsonObject = {}, metadata: JsonObject = {}, buffers: Buffer[] = []): Comm {
    if (typeof targetName !== "string" || targetName === "") throw new Error("open: target name must be a non-empty string");
    const comm = this.#create(randomUUID(), targetName);
    this.publish("comm_open", { comm_id: comm.id, target_name: targetName, data }, metadata, buffers);
    return comm;
  }

  /** The open comms, optionally only those of one target, as comm_info_reply lists them. */
  info(targetName?: string): Record<string, { target_name: string }> {
    const comms: Record<string, { target_name: string }> = {};
    for (const comm of this.#comms.values()) {
      if (targetName === undefined || comm.targetName === targetName) comms[comm.id] = { target_name: comm.targetName };
    }
    return comms;
  }

  /** Feeds a comm message from the frontend. Messages for unknown comms are ignored, as ipykernel does. */
  receive(msgType: "comm_open" | "comm_msg" | "comm_close", content: JsonObject, metadata: JsonObject, buffers: Buffer[]): void {
    const id = content.comm_id;
    if (typeof id !== "string") throw new Error(`${msgType}: comm_id must be a string, got ${JSON.stringify(id)}`);
    const message: CommMessage = { data: (content.data as JsonObject | undefined) ?? {}, metadata, buffers };
    switch (msgType) {
      case "comm_open": {
        const targetName = String(content.target_name);
        const handler = this.#targets.get(targetName);
        if (handler === undefined) {
          // Nobody listens: close it so the frontend does not wait forever.
          this.publish("comm_close", { comm_id: id, data: {} }, {}, []);
          throw new Error(`comm_open: no target "${targetName}" is registered in the kernel`);
        }
        const comm = this.#create(id, targetName);
        try {
          handler(comm, message);
        } catch (error) {
          this.onListenerError(error);
        }
        break;
      }
      case "comm_msg":
        this.#comms.get(id)?.deliver(message);
        break;
      case "comm_close":
        this.#comms.get(id)?.closedByPeer(message);
        break;
    }
  }

  #create(id: string, targetName: string): Comm {
    const comm = new Comm(id, targetName, this.publish, (gone) => this.#comms.delete(gone), this.onListenerError);
    this.#comms.set(id, comm);
    return comm;
  }
}
