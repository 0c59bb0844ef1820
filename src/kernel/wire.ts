/**
 * The Jupyter wire format (messaging protocol 5.3): the frames of one message,
 * their HMAC signature, and the header every message carries.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A message as the kernel sees it; `identities` are the ROUTER routing frames. */
export interface Message {
  identities: Buffer[];
  header: Header;
  /** Empty object when the message answers nothing. */
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

export type Decoded =
  | { kind: "message"; message: Message }
  | { kind: "bad-signature" }
  | { kind: "malformed"; reason: string };

/** Signs and checks messages with the connection file's key (no key: no signing, per the spec). */
export class Signer {
  readonly #key: Buffer;
  readonly #algorithm: string;

  constructor(key: string, scheme: string) {
    const match = /^hmac-(sha\d+)$/.exec(scheme);
    if (!match) throw new Error(`signature_scheme "${scheme}" is not supported (expected hmac-sha256 or another hmac-<hash>)`);
    this.#algorithm = match[1];
    this.#key = Buffer.from(key, "utf8");
    // Fail now, not on the first message, if node lacks the hash.
    this.sign([]);
  }

  sign(parts: Buffer[]): string {
    if (this.#key.length === 0) return "";
    const hmac = createHmac(this.#algorithm, this.#key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  verify(signature: Buffer, parts: Buffer[]): boolean {
    if (this.#key.length === 0) return true;
    const expected = Buffer.from(this.sign(parts), "utf8");
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

export function decode(frames: Buffer[], signer: Signer): Decoded {
  const split = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (split < 0) return { kind: "malformed", reason: "no <IDS|MSG> delimiter" };
  if (frames.length < split + 6) return { kind: "malformed", reason: `${frames.length - split - 1} frames after the delimiter, expected at least 5` };
  const [signature, ...rest] = frames.slice(split + 1);
  const signed = rest.slice(0, 4);
  if (!signer.verify(signature, signed)) return { kind: "bad-signature" };
  try {
    const [header, parent_header, metadata, content] = signed.map((part) => JSON.parse(part.toString("utf8")));
    if (typeof header?.msg_type !== "string") return { kind: "malformed", reason: "header has no msg_type" };
    return {
      kind: "message",
      message: { identities: frames.slice(0, split), header, parent_header: parent_header ?? {}, metadata: metadata ?? {}, content: content ?? {}, buffers: rest.slice(4) },
    };
  } catch (error) {
    return { kind: "malformed", reason: `invalid JSON: ${(error as Error).message}` };
  }
}

export function encode(message: Omit<Message, "buffers"> & { buffers?: Buffer[] }, signer: Signer): Buffer[] {
  const signed = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
  return [...message.identities, DELIMITER, Buffer.from(signer.sign(signed), "utf8"), ...signed, ...(message.buffers ?? [])];
}

export function makeHeader(msgType: string, session: string, username = "kernel"): Header {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/** A reply or broadcast caused by `parent`: same session, the parent's header as parent_header. */
export function child(parent: Message | undefined, msgType: string, content: Record<string, unknown>, session: string, identities: Buffer[] = []): Omit<Message, "buffers"> {
  return {
    identities,
    header: makeHeader(msgType, session, parent?.header.username),
    parent_header: parent?.header ?? {},
    metadata: {},
    content,
  };
}
