/**
 * The fault proxy's server (see fault-proxy.ts), run in a worker thread so it
 * keeps serving while the test's main thread is blocked: the synchronous S3
 * calls (src/ocp/storage/s3/sync.ts) wait in Atomics.wait on the main thread
 * for a request that goes through this proxy.
 *
 * Messages from the main thread are ProxyCommand; this thread answers each
 * with a ProxyReply carrying the same id, and first posts a ProxyReady (or a
 * ProxyStartFailed) once the server listens.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import type { Fault, ProxiedRequest, RequestMatch } from "./fault-proxy.js";

export type ProxyCommand =
  | { id: number; op: "fail"; count: number; fault: Fault; match: RequestMatch }
  | { id: number; op: "truncate"; match: RequestMatch; bytes: number }
  | { id: number; op: "requests" }
  | { id: number; op: "close" };
export type ProxyReply = { id: number; requests?: ProxiedRequest[] };
export type ProxyReady = { ready: true; port: number } | { ready: false; error: string };

type Rule = { remaining: number; match: RequestMatch; action: Fault | { kind: "truncate"; bytes: number } };

const s3Messages: Record<string, string> = {
  InternalError: "We encountered an internal error. Please try again.",
  SlowDown: "Please reduce your request rate.",
  ServiceUnavailable: "Service is unable to handle request.",
};

function s3ErrorBody(code: string, url: string): string {
  const message = s3Messages[code] ?? "Injected by the test fault proxy.";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${url.split("?")[0]}</Resource><RequestId>fault-proxy</RequestId></Error>`;
}

function matches(match: RequestMatch, method: string, url: string): boolean {
  return (match.method === undefined || match.method === method) && (match.urlIncludes === undefined || url.includes(match.urlIncludes));
}

const port = parentPort!;
const upstream = new URL((workerData as { target: string }).target);
const agent = new Agent({ keepAlive: true });
const requests: ProxiedRequest[] = [];
const rules: Rule[] = [];
const server = createServer(handle);

function takeRule(method: string, url: string): Rule["action"] | null {
  const rule = rules.find((candidate) => candidate.remaining > 0 && matches(candidate.match, method, url));
  if (!rule) return null;
  rule.remaining -= 1;
  if (rule.remaining === 0) rules.splice(rules.indexOf(rule), 1);
  return rule.action;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const entry: ProxiedRequest = { method: req.method!, url: req.url!, status: "reset", injected: null };
  requests.push(entry);
  const action = takeRule(entry.method, entry.url);
  entry.injected = action?.kind ?? null;
  if (action?.kind === "reset") {
    req.socket.destroy();
    return;
  }
  if (action?.kind === "status") {
    // Answer once the request body is in, as a server does, so the client reads the error rather than a broken upload.
    req.resume();
    req.once("end", () => {
      const body = s3ErrorBody(action.s3Code ?? (action.status === 503 ? "SlowDown" : "InternalError"), entry.url);
      entry.status = action.status;
      res.writeHead(action.status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  forward(req, res, entry, action?.kind === "truncate" ? action.bytes : null);
}

function forward(req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, truncateAfter: number | null): void {
  const upstreamRequest = request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: req.rawHeaders,
    agent,
  });
  upstreamRequest.on("response", (upstreamResponse) => {
    entry.status = upstreamResponse.statusCode!;
    res.writeHead(upstreamResponse.statusCode!, upstreamResponse.statusMessage, upstreamResponse.rawHeaders);
    if (truncateAfter === null) {
      upstreamResponse.pipe(res);
      return;
    }
    let left = truncateAfter;
    upstreamResponse.on("data", (chunk: Buffer) => {
      if (left <= 0) return;
      const part = chunk.subarray(0, left);
      left -= part.length;
      res.write(part, () => {
        if (left === 0) {
          upstreamResponse.destroy();
          res.destroy();
        }
      });
    });
    // A body no longer than the cut passes whole.
    upstreamResponse.on("end", () => left > 0 && res.end());
  });
  upstreamRequest.on("error", (error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    entry.status = 502;
    res.writeHead(502, { "Content-Type": "text/plain" });
    res.end(`fault proxy: upstream ${upstream.host} failed: ${error.message}`);
  });
  // A client that goes away mid-exchange takes the upstream request with it.
  res.on("close", () => {
    if (!res.writableFinished) upstreamRequest.destroy();
  });
  req.pipe(upstreamRequest);
}

port.on("message", (command: ProxyCommand) => {
  switch (command.op) {
    case "fail":
      rules.push({ remaining: command.count, match: command.match, action: command.fault });
      port.postMessage({ id: command.id } satisfies ProxyReply);
      return;
    case "truncate":
      rules.push({ remaining: 1, match: command.match, action: { kind: "truncate", bytes: command.bytes } });
      port.postMessage({ id: command.id } satisfies ProxyReply);
      return;
    case "requests":
      port.postMessage({ id: command.id, requests } satisfies ProxyReply);
      return;
    case "close": {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      agent.destroy();
      void closed.then(() => port.postMessage({ id: command.id } satisfies ProxyReply));
      return;
    }
  }
});

server.once("error", (error) => port.postMessage({ ready: false, error: error.message } satisfies ProxyReady));
server.listen(0, "127.0.0.1", () => port.postMessage({ ready: true, port: (server.address() as AddressInfo).port } satisfies ProxyReady));
