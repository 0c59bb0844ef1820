/**
 * AWS Signature Version 4 for S3 requests: the canonical request, the string
 * to sign and the derived key, as AWS specifies them. Payloads are sent as
 * `UNSIGNED-PAYLOAD` (S3 allows it), so a 256 MiB upload is not hashed twice;
 * the signing key is derived once per day and region, not per request.
 */
import { createHash, createHmac } from "node:crypto";
import type { S3Credentials } from "./settings.js";

/** RFC 3986 encoding as S3 wants it: everything but unreserved characters, and "/" kept only in paths. */
export function uriEncode(text: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k, false)}=${uriEncode(query[k], false)}`)
    .join("&");
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const sha256Hex = (data: string) => createHash("sha256").update(data).digest("hex");

export interface RequestToSign {
  method: string;
  host: string;
  /** Already encoded with uriEncode(…, true). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body's SHA-256 in hex; by default the body is sent unsigned. */
  payloadHash?: string;
}

export function signer(credentials: S3Credentials, region: string) {
  let keyDate = "";
  let key: Buffer = Buffer.alloc(0);
  const signingKey = (date: string): Buffer => {
    if (date !== keyDate) {
      key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), "s3"), "aws4_request");
      keyDate = date;
    }
    return key;
  };
  /** Returns the headers to send: the given ones plus host, x-amz-date, x-amz-content-sha256, authorization (and the session token). */
  return (request: RequestToSign, now = new Date()): Record<string, string> => {
    const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const date = amzDate.slice(0, 8);
    const payloadHash = request.payloadHash ?? "UNSIGNED-PAYLOAD";
    const headers: Record<string, string> = { ...request.headers, host: request.host, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash };
    if (credentials.sessionToken !== undefined) headers["x-amz-security-token"] = credentials.sessionToken;
    const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
    const lower = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), String(v).trim().replace(/\s+/g, " ")]));
    const signedHeaders = names.join(";");
    const canonical = [request.method, request.path, canonicalQuery(request.query), names.map((n) => `${n}:${lower[n]}\n`).join(""), signedHeaders, payloadHash].join("\n");
    const scope = `${date}/${region}/s3/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
    const signature = createHmac("sha256", signingKey(date)).update(stringToSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}
