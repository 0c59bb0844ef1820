import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../../src/ocp/format/crc32c.js";
import { fileSource } from "../../../src/ocp/format/kvstore.js";
import { openZarrArray, readZarrArray } from "../../../src/ocp/format/zarr/read-array.js";
import { zstdCompress } from "../../../src/ocp/format/zstd.js";
import { int32s, rejection, scratch } from "./helpers.js";

/** Element (i, j) of the test arrays; cells of a chunk that was never written hold the fill value 7. */
const cell = (i: number, j: number) => 10 * i + j;

function int32Bytes(values: number[], bigEndian = false): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt32(4 * i, v, !bigEndian));
  return out;
}

/** A [rows, cols] block of `cell` starting at (r0, c0); cells outside the [5, 3] array are 99 (must be clipped away). */
function block(r0: number, c0: number, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let i = r0; i < r0 + rows; i++) for (let j = c0; j < c0 + cols; j++) out.push(i < 5 && j < 3 ? cell(i, j) : 99);
  return out;
}

const expected = (missing: (i: number, j: number) => boolean) => {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) out.push(missing(i, j) ? 7 : cell(i, j));
  return out;
};

describe("ocp/format: zarr arrays written by hand", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await scratch()));
  after(() => cleanup());

  it("zarr v2: several chunks, clipped edge chunks, '/' separator, big-endian, a missing chunk reads as fill_value", async () => {
    const dir = join(root, "v2", "arr");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, ".zarray"), JSON.stringify({ chunks: [2, 2], compressor: null, dimension_separator: "/", dtype: ">i4", fill_value: 7, filters: null, order: "C", shape: [5, 3], zarr_format: 2 }));
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 2; b++) {
        if (a === 1 && b === 1) continue; // rows 2-3, col 2: never written
        await mkdir(join(dir, String(a)), { recursive: true });
        await writeFile(join(dir, String(a), String(b)), int32Bytes(block(2 * a, 2 * b, 2, 2), true));
      }
    }
    const source = fileSource(join(root, "v2"));
    const layout = await openZarrArray(source, "arr");
    assert.deepEqual([layout.dtype, layout.shape, layout.zarrVersion], ["int32", [5, 3], 2]);
    const array = await readZarrArray(source, "arr", layout);
    assert.deepEqual(int32s(array), expected((i, j) => (i === 2 || i === 3) && j === 2));
  });

  it("zarr v3 sharded: inner chunks in any order inside a shard, zstd, a missing inner chunk, crc32c-checked index", async () => {
    const dir = join(root, "v3", "arr");
    const meta = {
      chunk_grid: { configuration: { chunk_shape: [4, 4] }, name: "regular" },
      chunk_key_encoding: { name: "default" },
      codecs: [{
        configuration: {
          chunk_shape: [2, 2],
          codecs: [{ configuration: { endian: "little" }, name: "bytes" }, { configuration: { checksum: false, level: 3 }, name: "zstd" }],
          index_codecs: [{ configuration: { endian: "little" }, name: "bytes" }, { name: "crc32c" }],
        },
        name: "sharding_indexed",
      }],
      data_type: "int32", fill_value: 7, node_type: "array", shape: [5, 3], zarr_format: 3,
    };
    await mkdir(join(dir, "c", "0"), { recursive: true });
    await mkdir(join(dir, "c", "1"), { recursive: true });
    await writeFile(join(dir, "zarr.json"), JSON.stringify(meta));
    const shards: Uint8Array[] = [];
    for (let s = 0; s < 2; s++) {
      // Inner chunks stored in reverse order, so offsets are not monotonic in the index.
      const parts: Uint8Array[] = [];
      const index = new DataView(new ArrayBuffer(4 * 16));
      let offset = 0;
      for (const k of [3, 2, 1, 0]) {
        const a = k >> 1;
        const b = k & 1;
        if (s === 0 && k === 1) {
          index.setBigUint64(16 * k, 0xffffffffffffffffn, true);
          index.setBigUint64(16 * k + 8, 0xffffffffffffffffn, true);
          continue;
        }
        const data = await zstdCompress(int32Bytes(block(4 * s + 2 * a, 2 * b, 2, 2)), 3);
        index.setBigUint64(16 * k, BigInt(offset), true);
        index.setBigUint64(16 * k + 8, BigInt(data.length), true);
        parts.push(data);
        offset += data.length;
      }
      const indexBytes = new Uint8Array(index.buffer);
      const crc = new Uint8Array(4);
      new DataView(crc.buffer).setUint32(0, crc32c(indexBytes), true);
      const shard = new Uint8Array(offset + 64 + 4);
      let at = 0;
      for (const p of parts) { shard.set(p, at); at += p.length; }
      shard.set(indexBytes, at);
      shard.set(crc, at + 64);
      shards.push(shard);
      await writeFile(join(dir, "c", String(s), "0"), shard);
    }
    const source = fileSource(join(root, "v3"));
    const layout = await openZarrArray(source, "arr");
    assert.deepEqual([layout.dtype, layout.shape, layout.zarrVersion], ["int32", [5, 3], 3]);
    // Shard 0's inner chunk (0, 1) (rows 0-1, col 2) is missing.
    assert.deepEqual(int32s(await readZarrArray(source, "arr", layout)), expected((i, j) => i < 2 && j === 2));

    // Flip one index byte: the CRC-32C must catch it.
    const bad = new Uint8Array(shards[1]);
    bad[bad.length - 10] ^= 1;
    await writeFile(join(dir, "c", "1", "0"), bad);
    const message = await rejection(() => readZarrArray(source, "arr", layout));
    assert.ok(message.includes(join(dir, "c", "1", "0")), message);
    assert.match(message, /shard index.*CRC-32C mismatch/);
  });
});
