import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * zstd on worker threads: numcodecs' wasm zstd runs one frame per call on one
 * core, so big chunks are spread over workers (tensorstore compresses on many
 * threads too). Workers are started on first use, unref'd while idle so they
 * never keep the process alive, and ended after a few idle seconds: a wasm
 * heap grown to hold a big chunk never shrinks, and a long-lived kernel
 * should not keep it.
 */
export type ZstdJob = { op: "compress"; level: number } | { op: "decompress" };

// Plain JS (eval'd workers run as CommonJS): load numcodecs by URL and answer jobs in order.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const zstd = import(workerData.numcodecs).then((m) => m.Zstd);
const codecs = new Map();
parentPort.on("message", async ({ id, op, level, bytes }) => {
  try {
    const Zstd = await zstd;
    let codec = codecs.get(level);
    if (!codec) codecs.set(level, (codec = Zstd.fromConfig({ level })));
    const out = op === "compress" ? await codec.encode(bytes) : await codec.decode(bytes);
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
    parentPort.postMessage({ id, bytes: owned }, [owned.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve(b: Uint8Array): void; reject(e: Error): void }>;
  idleTimer?: NodeJS.Timeout;
}

const POOL_SIZE = Math.max(1, Math.min(8, availableParallelism()));
const IDLE_MS = 5000;
const workers: PoolWorker[] = [];
let nextId = 0;

function leavePool(entry: PoolWorker): void {
  const i = workers.indexOf(entry);
  if (i >= 0) workers.splice(i, 1);
}

/** Ends an idle worker; it leaves the pool first, so no job is sent to a worker that is going away. */
function retire(entry: PoolWorker): void {
  leavePool(entry);
  void entry.worker.terminate();
}

function startWorker(): PoolWorker {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { numcodecs: import.meta.resolve("numcodecs") } });
  const entry: PoolWorker = { worker, pending: new Map() };
  const fail = (error: Error) => {
    for (const p of entry.pending.values()) p.reject(error);
    entry.pending.clear();
    leavePool(entry);
  };
  worker.on("message", (msg: { id: number; bytes?: Uint8Array; error?: string }) => {
    const p = entry.pending.get(msg.id);
    if (!p) return;
    entry.pending.delete(msg.id);
    if (entry.pending.size === 0) {
      worker.unref();
      entry.idleTimer = setTimeout(() => retire(entry), IDLE_MS).unref();
    }
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.bytes!);
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`zstd worker exited with code ${code}`)));
  worker.unref();
  workers.push(entry);
  return entry;
}

function leastBusy(): PoolWorker {
  if (workers.length < POOL_SIZE) {
    const idle = workers.find((w) => w.pending.size === 0);
    if (idle) return idle;
    return startWorker();
  }
  return workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
}

/** Runs one zstd job on a worker; `bytes` is copied to it, so the caller's buffer stays intact. */
export function runOnWorker(job: ZstdJob, bytes: Uint8Array): Promise<Uint8Array> {
  const entry = leastBusy();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    clearTimeout(entry.idleTimer);
    entry.pending.set(id, { resolve, reject });
    entry.worker.ref();
    entry.worker.postMessage({ id, op: job.op, level: job.op === "compress" ? job.level : 1, bytes });
  });
}

/** Whether spreading work over threads can help here at all. */
export const poolAvailable = POOL_SIZE > 1;
