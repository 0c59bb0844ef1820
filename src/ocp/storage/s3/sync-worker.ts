/** The worker thread behind ./sync.ts: runs one storage read per message and wakes the waiting thread. */
import { parentPort, workerData } from "node:worker_threads";
import { ObjectStorage } from "../object-storage.js";
import { S3RequestError } from "./client.js";
import type { SyncAnswer, SyncRequest } from "./sync.js";

const storages = new Map<string, ObjectStorage>();

async function answer(request: SyncRequest): Promise<SyncAnswer> {
  const id = JSON.stringify(request.settings);
  let storage = storages.get(id);
  if (storage === undefined) storages.set(id, (storage = new ObjectStorage({ ...request.settings, endpoint: new URL(request.settings.endpoint) })));
  try {
    const { location } = request;
    const value =
      request.operation === "read" ? await storage.read(location) :
      request.operation === "kind" ? await storage.kind(location) :
      request.operation === "list" ? await storage.list(location) :
      await storage.size(location);
    return { ok: true, value };
  } catch (e) {
    const s3 = e instanceof S3RequestError ? e : undefined;
    return { ok: false, message: (e as Error).message, status: s3?.status, code: s3?.code, retryable: s3?.retryable };
  }
}

parentPort!.on("message", (request: SyncRequest) => {
  void answer(request).then((result) => {
    request.port.postMessage(result);
    request.port.close();
    Atomics.store(request.signal, 0, 1);
    Atomics.notify(request.signal, 0);
  });
});

const ready = (workerData as { ready: Int32Array }).ready;
Atomics.store(ready, 0, 1);
Atomics.notify(ready, 0);
