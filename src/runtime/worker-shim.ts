/**
 * A Web `Worker` over `node:worker_threads`, just enough for jax-js's wasm
 * worker pool (which is only created when `Worker` and `SharedArrayBuffer`
 * exist). jax-js hands the worker a blob: URL holding plain script text that
 * talks through `self.onmessage` and `postMessage`.
 *
 * Workers are unref'd whenever no reply is outstanding, so a script exits on
 * its own when user code is done, and ref'd while one is, so a pending await
 * on a kernel keeps the process alive (an unref'd worker that still owes a
 * reply makes node exit with code 13).
 */
import { resolveObjectURL } from "node:buffer";
import { Worker as NodeWorker } from "node:worker_threads";

const PRELUDE = `
const { parentPort } = require("node:worker_threads");
const self = globalThis;
self.self = self;
self.postMessage = (data) => parentPort.postMessage(data);
let loaded = false;
parentPort.on("message", (data) => {
  if (!loaded) {
    loaded = true;
    new Function("self", "postMessage", data)(self, self.postMessage);
    return;
  }
  if (typeof self.onmessage === "function") self.onmessage({ data });
});
`;

type MessageHandler = ((event: { data: unknown }) => void) | null;
type ErrorHandler = ((event: { message: string; error: unknown }) => void) | null;

export class NodeWebWorker {
  onmessage: MessageHandler = null;
  onerror: ErrorHandler = null;
  readonly #worker: NodeWorker;
  #outstanding = 0;
  /** Messages posted before the script text arrived; null once it has. */
  #pending: unknown[] | null = [];

  constructor(url: string | URL, _options?: { type?: string }) {
    const href = String(url);
    const blob = resolveObjectURL(href);
    if (!blob) throw new Error(`worker script ${href} is not a live blob: URL`);
    this.#worker = new NodeWorker(PRELUDE, { eval: true });
    this.#worker.unref();
    this.#worker.on("message", (data) => {
      this.#outstanding = Math.max(0, this.#outstanding - 1);
      if (this.#outstanding === 0) this.#worker.unref();
      this.onmessage?.({ data });
    });
    this.#worker.on("error", (error: Error) => {
      this.onerror?.({ message: error.message, error });
    });
    void blob.text().then((source) => {
      this.#worker.postMessage(source);
      const queued = this.#pending ?? [];
      this.#pending = null;
      for (const message of queued) this.#worker.postMessage(message);
    });
  }

  postMessage(message: unknown): void {
    this.#outstanding++;
    this.#worker.ref();
    if (this.#pending) this.#pending.push(message);
    else this.#worker.postMessage(message);
  }

  terminate(): void {
    void this.#worker.terminate();
  }
}
