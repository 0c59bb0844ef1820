/**
 * An HTTP proxy on loopback in front of a real S3 server, for the
 * object-storage fault tests: it passes requests through unchanged until told
 * to fail the next ones, with an S3-style error status, a reset connection,
 * or a response body cut short. Requests and responses are forwarded with
 * their raw headers, the Host header exactly as the client sent it (SigV4
 * signs it, so a client signs for the proxy's endpoint), and bodies are
 * streamed both ways, never buffered: multipart parts can be tens of MB.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Answers with this status and an S3 XML error body, without forwarding the request. */
  | { kind: "status"; status: 500 | 503; s3Code?: string }
  /** Destroys the client's connection without answering. */
  | { kind: "reset" };

export interface RequestSummary {
  method: string;
  url: string;
}

export type RequestMatch = (request: RequestSummary) => boolean;

export interface ProxiedRequest extends RequestSummary {
  /** The status the client got; "reset" where its connection was destroyed before any answer. */
  status: number | "reset";
  /** The fault injected into this request, if any. */
  injected: Fault["kind"] | "truncate" | null;
}

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

export class FaultProxy {
  /** Every request the proxy saw, in arrival order. */
  readonly requests: ProxiedRequest[] = [];
  private readonly rules: Rule[] = [];
  private readonly upstream: URL;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly server = createServer((req, res) => this.handle(req, res));

  private constructor(target: string) {
    this.upstream = new URL(target);
  }

  /** A proxy on a free loopback port forwarding to `target` (http://host:port). */
  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(0, "127.0.0.1", resolve);
    });
    return proxy;
  }

  /** http://127.0.0.1:PORT, the endpoint clients use (and sign for). */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` requests that `match` accepts (all, without it) get `fault` instead of the server's answer. */
  failNext(count: number, fault: Fault, match: RequestMatch = () => true): void {
    this.rules.push({ remaining: count, match, action: fault });
  }

  /**
   * The next request that `match` accepts is forwarded, but its response body
   * stops after `bytes` bytes and the connection is destroyed: the headers
   * (Content-Length included) promise more than arrives, as in a read cut off
   * mid-object.
   */
  truncateNext(match: RequestMatch, bytes: number): void {
    if (!(bytes >= 1)) throw new RangeError(`truncateNext needs at least 1 byte to pass (got ${bytes}); for none, use a reset`);
    this.rules.push({ remaining: 1, match, action: { kind: "truncate", bytes } });
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  private takeRule(summary: RequestSummary): Rule["action"] | null {
    const rule = this.rules.find((candidate) => candidate.remaining > 0 && candidate.match(summary));
    if (!rule) return null;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule.action;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: ProxiedRequest = { method: req.method!, url: req.url!, status: "reset", injected: null };
    this.requests.push(entry);
    const action = this.takeRule({ method: entry.method, url: entry.url });
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
    this.forward(req, res, entry, action?.kind === "truncate" ? action.bytes : null);
  }

  private forward(req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, truncateAfter: number | null): void {
    const upstreamRequest = request({
      host: this.upstream.hostname,
      port: this.upstream.port,
      method: req.method,
      path: req.url,
      headers: req.rawHeaders,
      agent: this.agent,
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
      res.end(`fault proxy: upstream ${this.upstream.host} failed: ${error.message}`);
    });
    // A client that goes away mid-exchange takes the upstream request with it.
    res.on("close", () => {
      if (!res.writableFinished) upstreamRequest.destroy();
    });
    req.pipe(upstreamRequest);
  }
}
