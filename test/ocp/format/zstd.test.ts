import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { fileURLToPath } from "node:url";
import { Zstd } from "numcodecs";
import { reusingZstdCompressor, zstdCompress, zstdDecompress, zstdDecompressInto, zstdEngine } from "../../../src/ocp/format/zstd.js";

const SHIM = fileURLToPath(new URL("../../../dist/src/ocp/format/libzstd-shim.node", import.meta.url));

/** A valid frame whose header leaves out the decoded size (as streaming encoders write them): one raw block of `data` (at most 1 KiB). */
function frameWithoutSize(data: Uint8Array): Uint8Array {
  const header = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00]; // magic; no content size, no checksum; 1 KiB window
  const block = (data.length << 3) | 1; // last block, raw
  return Uint8Array.from([...header, block & 255, (block >> 8) & 255, block >> 16, ...data]);
}

const sizes = [0, 1, 1000, 300_000, 3_000_000];
const sample = (n: number) => Uint8Array.from({ length: n }, (_, i) => (Math.sin(i * 0.001) * 100) & 255);

describe("ocp/format: zstd engine", () => {
  it("runs libzstd through the shim `npm run build` compiles (CI must build it), else the npm binding where it ships a binary", function () {
    if (process.env.TSNNX_ZSTD) this.skip();
    if (process.env.CI) assert.ok(existsSync(SHIM), `${SHIM} was not built: see the build-libzstd-shim line of npm run build`);
    if (existsSync(SHIM)) assert.equal(zstdEngine, "libzstd");
    else if (platform() === "linux" && arch() === "x64") assert.equal(zstdEngine, "node-zstd");
    else this.skip();
  });

  it("writes frames the npm binding decodes, and decodes the binding's frames", async function () {
    const binding = createRequire(import.meta.url)("@toondepauw/node-zstd") as {
      Encoder: new (level: number) => { encode(b: Buffer): Promise<Buffer> };
      Decoder: new () => { decode(b: Buffer): Promise<Buffer> };
    };
    for (const n of sizes) {
      const data = sample(n);
      const ours = await zstdCompress(data, 1);
      assert.ok(Buffer.from(await new binding.Decoder().decode(Buffer.from(ours))).equals(Buffer.from(data)), `the binding decodes our ${n}-byte frame`);
      const theirs = await new binding.Encoder(1).encode(Buffer.from(data));
      assert.ok(Buffer.from(await zstdDecompress(theirs, "frame")).equals(Buffer.from(data)), `we decode the binding's ${n}-byte frame`);
    }
  });

  it("decodes frames whose header leaves out the decoded size", async () => {
    const data = sample(700);
    assert.deepEqual(Buffer.from(await zstdDecompress(frameWithoutSize(data), "frame")), Buffer.from(data));
    const into = new Uint8Array(700).fill(7);
    assert.equal(await zstdDecompressInto(frameWithoutSize(data), into, "frame"), false, "the size must be known to decode in place");
    assert.ok(into.every((b) => b === 7), "nothing written");
  });

  it("writes frames numcodecs' independent wasm build decodes, and decodes frames it wrote", async () => {
    const wasm = Zstd.fromConfig({ level: 1 });
    for (const n of sizes) {
      const data = sample(n);
      const ours = await zstdCompress(data, 1);
      assert.ok(n < 1000 || ours.length < n / 2, `${n} bytes compress (got ${ours.length})`);
      assert.deepEqual(Buffer.from(await wasm.decode(ours)), Buffer.from(data), `numcodecs decodes our ${n}-byte frame`);
      const theirs = await wasm.encode(data);
      assert.deepEqual(Buffer.from(await zstdDecompress(theirs, "frame")), Buffer.from(data), `we decode numcodecs' ${n}-byte frame`);
    }
  });

  it("leaves the input intact, returns plain Uint8Arrays whose slice() copies", async () => {
    const data = sample(100_000);
    const copy = data.slice();
    const packed = await zstdCompress(data, 3);
    const unpacked = await zstdDecompress(packed, "frame");
    assert.deepEqual(data, copy);
    assert.equal(Object.getPrototypeOf(packed), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(unpacked), Uint8Array.prototype);
    const s = unpacked.slice(0, 10);
    s[0] ^= 1;
    assert.notEqual(s[0], unpacked[0]);
  });

  it("round-trips many frames in flight at once", async () => {
    const inputs = Array.from({ length: 64 }, (_, k) => sample(5000 + k * 7919));
    const frames = await Promise.all(inputs.map((x) => zstdCompress(x, 1)));
    const back = await Promise.all(frames.map((f) => zstdDecompress(f, "frame")));
    back.forEach((b, k) => assert.deepEqual(Buffer.from(b), Buffer.from(inputs[k]), `frame ${k}`));
  });

  it("names the data when a frame is damaged", async () => {
    const frame = await zstdCompress(sample(200_000), 1);
    await assert.rejects(zstdDecompress(frame.subarray(0, frame.length - 100), "w/0.0"), /^Error: w\/0\.0: zstd data is corrupt or truncated/);
    await assert.rejects(zstdDecompress(new Uint8Array([1, 2, 3, 4, 5]), "w/0.0"), /w\/0\.0: zstd data is corrupt or truncated/);
  });

  describe("with the libzstd shim", function () {
    before(function () {
      if (zstdEngine !== "libzstd") this.skip();
    });

    it("decodes a frame straight into memory of exactly its size, and declines any other size untouched", async () => {
      const data = sample(300_000);
      const frame = await zstdCompress(data, 1);
      const into = new Uint8Array(400_000).fill(9);
      assert.equal(await zstdDecompressInto(frame, into.subarray(50_000, 350_000), "w/1.0"), true);
      assert.ok(Buffer.from(into.subarray(50_000, 350_000)).equals(Buffer.from(data)));
      assert.ok(into.subarray(0, 50_000).every((b) => b === 9) && into.subarray(350_000).every((b) => b === 9), "nothing written around it");
      const other = new Uint8Array(299_999).fill(9);
      assert.equal(await zstdDecompressInto(frame, other, "w/1.0"), false);
      assert.ok(other.every((b) => b === 9));
      await assert.rejects(zstdDecompressInto(frame.subarray(0, frame.length - 50), new Uint8Array(300_000), "w/1.0"), /^Error: w\/1\.0: zstd data is corrupt or truncated/);
    });

    it("reuses a compressed chunk's buffer only once it is released", async () => {
      const compressor = reusingZstdCompressor(1);
      const a = await compressor.compress(sample(200_000));
      const kept = Buffer.from(a.bytes);
      const b = await compressor.compress(sample(100_000));
      assert.notEqual(b.bytes.buffer, a.bytes.buffer, "a is still held: b gets a buffer of its own");
      a.release();
      a.release(); // twice is harmless: the buffer is pooled once
      const c = await compressor.compress(sample(150_000));
      const d = await compressor.compress(sample(150_000));
      assert.equal(c.bytes.buffer, a.bytes.buffer, "c reuses a's buffer");
      assert.notEqual(d.bytes.buffer, a.bytes.buffer, "only one result gets it");
      assert.ok(Buffer.from(await zstdDecompress(c.bytes, "c")).equals(Buffer.from(sample(150_000))));
      assert.ok(Buffer.from(await zstdDecompress(b.bytes, "b")).equals(Buffer.from(sample(100_000))), "b stays intact");
      assert.ok(Buffer.from(await zstdDecompress(kept, "a")).equals(Buffer.from(sample(200_000))));
    });

    it("names what is wrong with the arguments it is given", () => {
      const raw = createRequire(import.meta.url)(SHIM) as Record<string, (...args: unknown[]) => unknown>;
      assert.throws(() => raw.decompressInto("frame", new Uint8Array(1)), { name: "TypeError", message: "source must be a Uint8Array" });
      assert.throws(() => raw.compressInto(new Uint8Array(1), new Float32Array(1)), { name: "TypeError", message: "destination must be a Uint8Array" });
      assert.throws(() => raw.compressInto(new Uint8Array(1)), { name: "TypeError", message: "expected (source, destination)" });
      assert.throws(() => raw.frameContentSize(), { name: "TypeError", message: "expected (frame)" });
      assert.throws(() => raw.compressBound(-1), { name: "TypeError", message: "size must be a non-negative number" });
      assert.equal(raw.frameContentSize(new Uint8Array([1, 2, 3, 4, 5, 6])), -2, "not a zstd frame");
    });

    it("compresses straight from shared memory (a lent wasm array)", async () => {
      const shared = new Uint8Array(new SharedArrayBuffer(1 << 20));
      shared.set(sample(1 << 20));
      const frame = await zstdCompress(shared, 1);
      assert.ok(Buffer.from(await zstdDecompress(frame, "frame")).equals(Buffer.from(sample(1 << 20))));
    });
  });
});
