/** Signing, decoding and the connection file, checked against independent values (RFC 4231 HMAC vectors). */
import assert from "node:assert/strict";
import { parseConnectionInfo, endpoint } from "../../src/kernel/connection.js";
import { decode, encode, makeHeader, Signer } from "../../src/kernel/wire.js";

const frames = (...parts: (string | object)[]) => parts.map((p) => Buffer.from(typeof p === "string" ? p : JSON.stringify(p)));

describe("kernel wire format", () => {
  it("signs with HMAC-SHA256 over the concatenated parts (RFC 4231 test case 2)", () => {
    const signer = new Signer("Jefe", "hmac-sha256");
    assert.equal(signer.sign(frames("what do ya want ", "for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Same vector under SHA-512 (signature_scheme is honoured).
    assert.equal(
      new Signer("Jefe", "hmac-sha512").sign(frames("what do ya want for nothing?")),
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
  });

  it("rejects an unknown signature scheme by name", () => {
    assert.throws(() => new Signer("k", "md5"), /signature_scheme "md5" is not supported/);
  });

  it("decodes what it encodes, keeping routing identities and buffers", () => {
    const signer = new Signer("secret", "hmac-sha256");
    const header = makeHeader("execute_request", "s1");
    const encoded = encode({ identities: [Buffer.from("peer")], header, parent_header: {}, metadata: { m: 1 }, content: { code: "1" }, buffers: [Buffer.from([1, 2])] }, signer);
    const decoded = decode(encoded, signer);
    assert.equal(decoded.kind, "message");
    if (decoded.kind !== "message") return;
    assert.deepEqual(decoded.message.identities, [Buffer.from("peer")]);
    assert.deepEqual(decoded.message.header, header);
    assert.deepEqual(decoded.message.content, { code: "1" });
    assert.deepEqual(decoded.message.buffers, [Buffer.from([1, 2])]);
  });

  it("reports bad or missing signatures and malformed messages", () => {
    const signer = new Signer("secret", "hmac-sha256");
    const body = frames({ msg_type: "x", msg_id: "1" }, {}, {}, {});
    assert.deepEqual(decode([Buffer.from("<IDS|MSG>"), Buffer.from("00"), ...body], signer), { kind: "bad-signature" });
    assert.deepEqual(decode([Buffer.from("<IDS|MSG>"), Buffer.from(""), ...body], signer), { kind: "bad-signature" });
    // Signed by another key.
    const other = new Signer("other", "hmac-sha256").sign(body);
    assert.deepEqual(decode([Buffer.from("<IDS|MSG>"), Buffer.from(other), ...body], signer), { kind: "bad-signature" });
    assert.equal(decode(body, signer).kind, "malformed");
    const unsigned = new Signer("", "hmac-sha256");
    const notJson = frames("<IDS|MSG>", "", "{", "{}", "{}", "{}");
    assert.match((decode(notJson, unsigned) as { reason: string }).reason, /invalid JSON/);
    // An empty key means no authentication, as the spec says.
    assert.equal(decode([Buffer.from("<IDS|MSG>"), Buffer.from(""), ...body], unsigned).kind, "message");
  });

  it("checks the connection file and builds endpoints", () => {
    const info = parseConnectionInfo({ ip: "127.0.0.1", transport: "tcp", shell_port: 1, control_port: 2, iopub_port: 3, stdin_port: 4, hb_port: 5, key: "k", signature_scheme: "hmac-sha256" }, "c.json");
    assert.equal(endpoint(info, "iopub"), "tcp://127.0.0.1:3");
    assert.equal(endpoint({ ...info, transport: "ipc", ip: "kernel-ipc" }, "hb"), "ipc://kernel-ipc-5");
    assert.throws(() => parseConnectionInfo({ ...info, shell_port: "x" } as never, "c.json"), /c.json: shell_port must be an integer port/);
    assert.throws(() => parseConnectionInfo({ ...info, transport: "udp" } as never, "c.json"), /transport "udp" is not tcp or ipc/);
  });
});
