import assert from "node:assert/strict";
import { arch, platform } from "node:os";
import { Zstd } from "numcodecs";
import { zstdCompress, zstdDecompress, zstdEngine } from "../../../src/ocp/format/zstd.js";

const sizes = [0, 1, 1000, 300_000, 3_000_000];
const sample = (n: number) => Uint8Array.from({ length: n }, (_, i) => (Math.sin(i * 0.001) * 100) & 255);

describe("ocp/format: zstd engine", () => {
  it("uses the native libzstd addon where its package ships a binary (linux x64 here)", function () {
    if (platform() !== "linux" || arch() !== "x64" || process.env.TSNNX_ZSTD === "wasm") this.skip();
    assert.equal(zstdEngine, "native");
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
});
