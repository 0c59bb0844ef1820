/**
 * A small S3 client: the nine requests checkpointing needs (get with a byte
 * range, head, put, list, batch delete, the four of a multipart upload), each
 * signed with SigV4, on keep-alive connections, retried with jittered
 * exponential backoff on what can pass (5xx, throttling, a reset or refused
 * connection, a body cut short), and reported with the object's
 * `s3://bucket/key` when it does not.
 *
 * Ours rather than @aws-sdk/client-s3 (with lib-storage for multipart):
 * measured on Node 20, that pair installs 38 packages (23 MB) and takes
 * about 75 ms to import, and it warns on every load that its releases from
 * January 2027 need Node 22, while tsnnx supports Node 20. Its streams would
 * also stand between the socket and the buffers our readers decode in place;
 * this client reads a ranged GET straight into the caller's scratch buffer.
 * What it leaves out (presigning, bucket administration, the SDK's
 * credential providers beyond the environment and the shared files) a
 * checkpoint does not use.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { signer, uriEncode } from "./signing.js";
import type { S3Settings } from "./settings.js";

/** A request that failed for good: `retryable` tells a fault that passed its tries from one that never would pass. */
export class S3RequestError extends Error {
  constructor(message: string, readonly status: number | undefined, readonly code: string | undefined, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "S3RequestError";
  }
}

interface Request {
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  bucket: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** The response body is read into this when it fits (a view of it is returned). */
  into?: Uint8Array;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
}

const RETRYABLE_NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENOTFOUND", "UND_ERR_SOCKET"]);
const RETRYABLE_CODES = new Set(["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed", "ExpiredToken"]);
const CREDENTIAL_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "AuthorizationHeaderMalformed"]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 3000;

const xmlText = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "amp" ? "&" : e === "quot" ? '"' : e === "apos" ? "'" : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** The text of each `<tag>` element (S3's responses are flat enough for this). */
const xmlAll = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => xmlText(m[1]));
const xmlFirst = (xml: string, tag: string) => xmlAll(xml, tag)[0];

export interface ListedObject {
  key: string;
  size: number;
}

export class S3Client {
  readonly settings: S3Settings;
  private readonly sign: ReturnType<typeof signer>;
  private readonly agent: http.Agent;

  constructor(settings: S3Settings) {
    this.settings = settings;
    this.sign = signer(settings.credentials, settings.region);
    const agentOptions = { keepAlive: true, maxSockets: 64 };
    this.agent = settings.endpoint.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** `s3://bucket/key`, as every message names an object. */
  static url(bucket: string, key = ""): string {
    return `s3://${bucket}/${key}`;
  }

  /** The object's bytes (`range`: [offset, length]), or undefined when there is no such key. */
  async getObject(bucket: string, key: string, range?: [number, number], into?: Uint8Array): Promise<Uint8Array | undefined> {
    const headers: Record<string, string> = range ? { range: `bytes=${range[0]}-${range[0] + range[1] - 1}` } : {};
    try {
      const response = await this.send({ method: "GET", bucket, key, headers, into }, [200, 206]);
      if (range && response.body.length !== range[1]) {
        throw new S3RequestError(`${S3Client.url(bucket, key)} is truncated: wanted bytes ${range[0]}..${range[0] + range[1]}, got ${response.body.length}`, response.status, "Truncated", false);
      }
      return response.body;
    } catch (e) {
      if (e instanceof S3RequestError && e.code === "NoSuchKey") return undefined;
      if (e instanceof S3RequestError && e.code === "InvalidRange") {
        const size = (await this.headObject(bucket, key))?.size;
        throw new S3RequestError(`${S3Client.url(bucket, key)} is truncated: wanted bytes ${range![0]}..${range![0] + range![1]}, the object ends at ${size}`, e.status, "Truncated", false, { cause: e });
      }
      throw e;
    }
  }

  async headObject(bucket: string, key: string): Promise<{ size: number } | undefined> {
    try {
      const response = await this.send({ method: "HEAD", bucket, key }, [200]);
      return { size: Number(response.headers["content-length"] ?? 0) };
    } catch (e) {
      if (e instanceof S3RequestError && e.status === 404) return undefined;
      throw e;
    }
  }

  async putObject(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
    await this.send({ method: "PUT", bucket, key, body }, [200]);
  }

  /** Every object under `prefix`; with `delimiter`, the next level's common prefixes apart. */
  async listObjects(bucket: string, prefix: string, delimiter?: string, maxKeys?: number): Promise<{ objects: ListedObject[]; prefixes: string[] }> {
    const objects: ListedObject[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { "list-type": "2", prefix };
      if (delimiter !== undefined) query.delimiter = delimiter;
      if (maxKeys !== undefined) query["max-keys"] = String(maxKeys);
      if (token !== undefined) query["continuation-token"] = token;
      const xml = new TextDecoder().decode((await this.send({ method: "GET", bucket, key: "", query }, [200], prefix)).body);
      for (const block of xmlAll(xml, "Contents")) objects.push({ key: xmlFirst(block, "Key") ?? "", size: Number(xmlFirst(block, "Size") ?? 0) });
      for (const block of xmlAll(xml, "CommonPrefixes")) prefixes.push(xmlFirst(block, "Prefix") ?? "");
      token = xmlFirst(xml, "IsTruncated") === "true" && maxKeys === undefined ? xmlFirst(xml, "NextContinuationToken") : undefined;
    } while (token !== undefined);
    return { objects, prefixes };
  }

  /** Deletes the keys, 1000 to a request (S3's limit); missing keys are no error. */
  async deleteObjects(bucket: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join("")}</Delete>`;
      const md5 = createHash("md5").update(body).digest("base64");
      const xml = new TextDecoder().decode((await this.send({ method: "POST", bucket, key: "", query: { delete: "" }, headers: { "content-md5": md5, "content-type": "application/xml" }, body }, [200], batch[0])).body);
      const failed = xmlAll(xml, "Error").map((block) => `${S3Client.url(bucket, xmlFirst(block, "Key"))}: ${xmlFirst(block, "Code")} (${xmlFirst(block, "Message")})`);
      if (failed.length > 0) throw new S3RequestError(`Deleting ${failed.length} object(s) failed: ${failed.slice(0, 5).join("; ")}`, 200, "DeleteFailed", false);
    }
  }

  async createMultipartUpload(bucket: string, key: string): Promise<string> {
    const xml = new TextDecoder().decode((await this.send({ method: "POST", bucket, key, query: { uploads: "" } }, [200])).body);
    const id = xmlFirst(xml, "UploadId");
    if (id === undefined) throw new S3RequestError(`${S3Client.url(bucket, key)}: the server started a multipart upload without an UploadId`, 200, undefined, false);
    return id;
  }

  /** Uploads part `partNumber` (from 1) and returns its ETag. */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const response = await this.send({ method: "PUT", bucket, key, query: { partNumber: String(partNumber), uploadId }, body }, [200]);
    const etag = response.headers.etag;
    if (typeof etag !== "string") throw new S3RequestError(`${S3Client.url(bucket, key)}: part ${partNumber} was stored without an ETag`, 200, undefined, false);
    return etag;
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, etags: string[]): Promise<void> {
    const body = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(e)}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const xml = new TextDecoder().decode((await this.send({ method: "POST", bucket, key, query: { uploadId }, body, headers: { "content-type": "application/xml" } }, [200])).body);
    // S3 may answer 200 and report the failure in the body.
    const code = xmlFirst(xml, "Code");
    if (xml.includes("<Error>") && code !== undefined) throw new S3RequestError(`${S3Client.url(bucket, key)}: completing the multipart upload failed: ${code} (${xmlFirst(xml, "Message")})`, 200, code, RETRYABLE_CODES.has(code));
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.send({ method: "DELETE", bucket, key, query: { uploadId } }, [204, 200]);
    } catch (e) {
      if (!(e instanceof S3RequestError && e.status === 404)) throw e;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private target(bucket: string, key: string | undefined, query: Record<string, string>): { host: string; path: string; search: string } {
    const endpoint = this.settings.endpoint;
    const basePath = endpoint.pathname.replace(/\/+$/, "");
    const objectPath = key === undefined || key === "" ? "/" : `/${uriEncode(key, true)}`;
    const host = this.settings.pathStyle ? endpoint.host : `${bucket}.${endpoint.host}`;
    const path = this.settings.pathStyle ? `${basePath}/${uriEncode(bucket, false)}${key === undefined || key === "" ? "/" : objectPath}` : `${basePath}${objectPath}`;
    const search = Object.keys(query)
      .sort()
      .map((k) => (query[k] === "" ? uriEncode(k, false) : `${uriEncode(k, false)}=${uriEncode(query[k], false)}`))
      .join("&");
    return { host, path, search };
  }

  /**
   * Sends with retries. A status outside `ok` becomes an S3RequestError
   * naming `s3://bucket/<subject>` (the key, or the prefix of a listing).
   */
  private async send(request: Request, ok: number[], subject = request.key ?? ""): Promise<Response> {
    const where = S3Client.url(request.bucket, subject);
    let lastError: S3RequestError | undefined;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      if (attempt > 1) {
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 2));
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)));
      }
      try {
        const response = await this.once(request);
        if (ok.includes(response.status)) return response;
        lastError = this.statusError(request, response, where);
      } catch (e) {
        lastError = this.networkError(request, e, where);
      }
      if (!lastError.retryable) throw lastError;
    }
    throw new S3RequestError(`${lastError!.message} (after ${this.settings.maxAttempts} attempts)`, lastError!.status, lastError!.code, true, { cause: lastError });
  }

  private statusError(request: Request, response: Response, where: string): S3RequestError {
    const xml = new TextDecoder().decode(response.body);
    const code = xmlFirst(xml, "Code") ?? (response.status === 404 ? (request.key ? "NoSuchKey" : "NoSuchBucket") : undefined);
    const message = xmlFirst(xml, "Message");
    const detail = `${response.status}${code ? ` ${code}` : ""}${message ? ` (${message})` : ""}`;
    const endpoint = this.settings.endpoint.origin;
    if (code === "NoSuchBucket") return new S3RequestError(`${where}: bucket "${request.bucket}" does not exist at ${endpoint}`, response.status, code, false);
    if (response.status === 403 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
      return new S3RequestError(
        `${where}: ${endpoint} refused access with access key "${this.settings.credentials.accessKeyId}": ${detail}. Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the profile) and the bucket's permissions`,
        response.status,
        code ?? "AccessDenied",
        false,
      );
    }
    const retryable = response.status >= 500 || response.status === 429 || (code !== undefined && RETRYABLE_CODES.has(code));
    return new S3RequestError(`${where}: ${request.method} failed: ${detail}`, response.status, code, retryable);
  }

  private networkError(request: Request, e: unknown, where: string): S3RequestError {
    if (e instanceof S3RequestError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    const retryable = code === undefined || RETRYABLE_NETWORK.has(code);
    const reason = code === "ECONNREFUSED" ? `cannot connect to ${this.settings.endpoint.origin} (connection refused)` : `${(e as Error).message}${code && !(e as Error).message.includes(code) ? ` (${code})` : ""}`;
    return new S3RequestError(`${where}: ${request.method} failed: ${reason}`, undefined, code, retryable, { cause: e });
  }

  private once(request: Request): Promise<Response> {
    const query = request.query ?? {};
    const { host, path, search } = this.target(request.bucket, request.key, query);
    const body = typeof request.body === "string" ? Buffer.from(request.body) : request.body;
    const headers = this.sign({ method: request.method, host, path, query, headers: { ...request.headers, ...(body !== undefined ? { "content-length": String(body.length) } : {}) } });
    const endpoint = this.settings.endpoint;
    const transport = endpoint.protocol === "https:" ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const req = transport.request(
        { agent: this.agent, method: request.method, hostname: this.settings.pathStyle ? endpoint.hostname : `${request.bucket}.${endpoint.hostname}`, port: endpoint.port || undefined, path: search ? `${path}?${search}` : path, headers },
        (res) => {
          const declared = res.headers["content-length"] !== undefined ? Number(res.headers["content-length"]) : undefined;
          const into = request.into && declared !== undefined && declared <= request.into.length && res.statusCode! < 300 ? request.into : undefined;
          const chunks: Buffer[] = [];
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            if (into) into.set(chunk, received);
            else chunks.push(chunk);
            received += chunk.length;
          });
          res.on("error", reject);
          res.on("aborted", () => reject(Object.assign(new Error("the connection closed mid-response"), { code: "ECONNRESET" })));
          res.on("end", () => {
            if (request.method !== "HEAD" && declared !== undefined && received !== declared) {
              reject(Object.assign(new Error(`the response was cut short: ${received} of ${declared} bytes`), { code: "ECONNRESET" }));
              return;
            }
            const bytes = into ? into.subarray(0, received) : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
            resolve({ status: res.statusCode!, headers: res.headers, body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
}
