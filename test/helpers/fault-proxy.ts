/**
 * An HTTP proxy on loopback in front of a real S3 server, for the
 * object-storage fault tests: it passes requests through unchanged until told
 * to fail the next ones, with an S3-style error status, a reset connection,
 * or a response body cut short. Requests and responses are forwarded with
 * their raw headers, the Host header exactly as the client sent it (SigV4
 * signs it, so a client signs for the proxy's endpoint), and bodies are
 * streamed both ways, never buffered: multipart parts can be tens of MB.
 *
 * The server runs in a worker thread (fault-proxy-worker.ts), not on the
 * test's main thread: the synchronous S3 calls of src/ocp/storage/s3/sync.ts
 * block the main thread in Atomics.wait while their request is in flight, and
 * a proxy on that thread could not answer it. So what crosses to the proxy is
 * data (a RequestMatch, not a function), and the calls that reach it are
 * asynchronous: each resolves once the proxy's thread has acted on it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ProxyCommand, ProxyReady, ProxyReply } from "./fault-proxy-worker.js";

export type Fault =
  /** Answers with this status and an S3 XML error body, without forwarding the request. */
  | { kind: "status"; status: 500 | 503; s3Code?: string }
  /** Destroys the client's connection without answering. */
  | { kind: "reset" };

/** Which requests a fault applies to, as data (it crosses to the proxy's thread): all given conditions must hold. */
export interface RequestMatch {
  /** The request's method, exactly ("PUT"). */
  method?: string;
  /** A substring of the request's URL (path and query, as sent). */
  urlIncludes?: string;
}

export interface ProxiedRequest {
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
  /** The status the client got; "reset" where its connection was destroyed before any answer. */
  status: number | "reset";
  /** The fault injected into this request, if any. */
  injected: Fault["kind"] | "truncate" | null;
}

type Command = ProxyCommand extends infer C ? (C extends unknown ? Omit<C, "id"> : never) : never;

function startWorker(target: string): Worker {
  const here = fileURLToPath(import.meta.url);
  const script = path.join(path.dirname(here), `fault-proxy-worker${path.extname(here)}`);
  // Run through tsx (.ts sources), the worker registers tsx before it loads the script: workers take no --import.
  // Mocha may load this file through tsx as CommonJS, where import.meta has no resolve() and require.resolve()
  // gives the CommonJS build of the API, which cannot register in a worker: take the ESM build from tsx's exports.
  const tsxApi = () => {
    if (typeof import.meta.resolve === "function") return import.meta.resolve("tsx/esm/api");
    const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
    const exported = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports;
    return pathToFileURL(path.join(path.dirname(manifest), exported["./esm/api"].import.default)).href;
  };
  return path.extname(here) === ".ts"
    ? new Worker(
        `import(${JSON.stringify(tsxApi())})` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`,
        { eval: true, workerData: { target } },
      )
    : new Worker(script, { workerData: { target } });
}

export class FaultProxy {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: ProxyReply) => void; reject: (error: Error) => void }>();
  private ended: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly port: number,
  ) {
    // The worker keeps the process alive only while the main thread waits on it: a proxy left open does not hold mocha.
    worker.unref();
    worker.on("message", (reply: ProxyReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiting.resolve(reply);
    });
    worker.on("error", (error) => this.end(error));
    worker.on("exit", (code) => this.end(new Error(`the fault proxy's worker thread exited (code ${code})`)));
  }

  /** A proxy on a free loopback port forwarding to `target` (http://host:port). */
  static async start(target: string): Promise<FaultProxy> {
    const worker = startWorker(target);
    // Only these listeners come off afterwards: Worker keeps internal ones (newListener, removeListener) that removeAllListeners() would take.
    let onMessage!: (ready: ProxyReady) => void, onError!: (error: Error) => void, onExit!: (code: number) => void;
    try {
      const ready = await new Promise<ProxyReady>((resolve, reject) => {
        onMessage = resolve;
        onError = reject;
        onExit = (code) => reject(new Error(`the fault proxy's worker thread exited (code ${code}) before it listened`));
        worker.once("message", onMessage).once("error", onError).once("exit", onExit);
      });
      if (!ready.ready) throw new Error(`the fault proxy could not listen: ${ready.error}`);
      return new FaultProxy(worker, ready.port);
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    }
  }

  /** http://127.0.0.1:PORT, the endpoint clients use (and sign for). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every request the proxy has seen so far, in arrival order (fetched from the proxy's thread). */
  async requests(): Promise<ProxiedRequest[]> {
    return (await this.call({ op: "requests" })).requests!;
  }

  /**
   * The next `count` requests that `match` accepts (all, without it) get
   * `fault` instead of the server's answer. Resolves once the proxy's thread
   * has the rule.
   */
  async failNext(count: number, fault: Fault, match: RequestMatch = {}): Promise<void> {
    await this.call({ op: "fail", count, fault, match: { ...match } });
  }

  /**
   * The next request that `match` accepts is forwarded, but its response body
   * stops after `bytes` bytes and the connection is destroyed: the headers
   * (Content-Length included) promise more than arrives, as in a read cut off
   * mid-object. Resolves once the proxy's thread has the rule.
   */
  async truncateNext(match: RequestMatch, bytes: number): Promise<void> {
    if (!(bytes >= 1)) throw new RangeError(`truncateNext needs at least 1 byte to pass (got ${bytes}); for none, use a reset`);
    await this.call({ op: "truncate", match: { ...match }, bytes });
  }

  /** Closes the server and its connections, and ends the worker thread. */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.call({ op: "close" });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(command: Command): Promise<ProxyReply> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<ProxyReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...command, id } as ProxyCommand);
    });
  }

  private end(error: Error): void {
    this.ended ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
