/**
 * Synchronous reads from object storage, for the parts of Orbax's API that
 * are synchronous (a manager lists its steps when it is built). The request
 * runs on a worker thread while this thread sleeps in Atomics.wait; the
 * answer comes back through a MessagePort read with receiveMessageOnPort.
 * One worker serves every storage; it is unref'd, so it never keeps the
 * process alive.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { S3RequestError } from "./client.js";
import type { S3Settings } from "./settings.js";

export type SyncOperation = "read" | "kind" | "list" | "size";

/** What crosses to the worker: settings with the endpoint as text (a URL does not survive structured cloning). */
export type SyncRequest = { settings: Omit<S3Settings, "endpoint"> & { endpoint: string }; operation: SyncOperation; location: string; port: MessagePort; signal: Int32Array };
export type SyncAnswer = { ok: true; value: unknown } | { ok: false; message: string; status?: number; code?: string; retryable?: boolean };

/** A worker that cannot load says so by never signalling; one that takes this long is taken as broken. */
const WORKER_START_MS = 20_000;
/** Longer than any request with all its retries. */
const ANSWER_MS = 300_000;

let worker: Worker | undefined;

/** Starts the worker and waits (synchronously) until it has loaded and says so. */
function startWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const script = path.join(path.dirname(here), `sync-worker${path.extname(here)}`);
  // When the tests run the sources (.ts) through tsx, the worker registers tsx before it loads them: workers take no --import.
  const started = path.extname(here) === ".ts"
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`,
        { eval: true, workerData: { ready } },
      )
    : new Worker(script, { workerData: { ready } });
  started.unref();
  started.on("error", () => (worker = undefined));
  started.on("exit", () => (worker = undefined));
  if (Atomics.wait(ready, 0, 0, WORKER_START_MS) === "timed-out") {
    void started.terminate();
    throw new Error(`The object-storage worker thread did not start within ${WORKER_START_MS / 1000} s`);
  }
  return started;
}

export function callSync(settings: S3Settings, operation: SyncOperation, location: string): unknown {
  worker ??= startWorker();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  try {
    const request: SyncRequest = { settings: { ...settings, endpoint: settings.endpoint.href }, operation, location, port: port2, signal };
    worker.postMessage(request, [port2]);
    if (Atomics.wait(signal, 0, 0, ANSWER_MS) === "timed-out") throw new Error(`${location}: no answer from object storage within ${ANSWER_MS / 1000} s (${operation})`);
    const answer = receiveMessageOnPort(port1)?.message as SyncAnswer | undefined;
    if (answer === undefined) throw new Error(`${location}: the storage worker ended without answering (${operation})`);
    if (!answer.ok) throw new S3RequestError(answer.message, answer.status, answer.code, answer.retryable ?? false);
    return answer.value;
  } finally {
    port1.close();
  }
}
