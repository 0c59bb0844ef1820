import assert from "node:assert/strict";
import { mkdir, open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ByteWriter } from "../../../src/ocp/format/bytes.js";
import { encodeLeafNode } from "../../../src/ocp/format/ocdbt/btree.js";
import { BTREE_NODE_MAGIC, encodeEncodedNode } from "../../../src/ocp/format/ocdbt/encoded-node.js";
import { decodeManifest, encodeManifest } from "../../../src/ocp/format/ocdbt/manifest.js";
import { openOcdbt } from "../../../src/ocp/format/ocdbt/reader.js";
import { writeOcdbt } from "../../../src/ocp/format/ocdbt/writer.js";
import { rejection, scratch } from "./helpers.js";

const utf8 = new TextEncoder();
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

/** A data file table with explicit base paths (the writer under test only writes empty ones). */
function table(w: ByteWriter, files: { base: string; rel: string }[]): void {
  w.varint(files.length);
  for (let i = 1; i < files.length; i++) w.varint(0); // no prefix sharing
  for (const f of files) w.varint(utf8.encode(f.base + f.rel).length);
  for (const f of files) w.varint(utf8.encode(f.base).length);
  for (const f of files) w.bytes(utf8.encode(f.base + f.rel));
}

describe("ocp/format: OCDBT", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await scratch()));
  after(() => cleanup());

  it("stores values over 1024 bytes out of line in data files and reads them back", async () => {
    const dir = join(root, "outofline");
    const big = pattern(5000, 1);
    const edge = pattern(1024, 2); // exactly the inline limit: stays inline
    await writeOcdbt(dir, [
      { key: "x/0", bytes: big },
      { key: "x/.zarray", bytes: utf8.encode("{}") },
      { key: "y/0", bytes: edge },
    ]);
    const files = await readdir(join(dir, "d"));
    // One data file for the out-of-line value (raw bytes, nothing else) and one for the B+tree leaf.
    assert.equal(files.length, 2);
    const contents = await Promise.all(files.map((f) => readFile(join(dir, "d", f))));
    assert.ok(contents.some((c) => Buffer.compare(c, Buffer.from(big)) === 0), "the 5000-byte value is not stored raw in its own data file");
    const db = await openOcdbt(dir);
    assert.deepEqual(db.keys().sort(), ["x/.zarray", "x/0", "y/0"]);
    assert.deepEqual(await db.get("x/0"), big);
    assert.deepEqual(await db.get("y/0"), edge);
    assert.equal(text(await db.get("x/.zarray")), "{}");
    assert.equal(await db.get("nope"), undefined);
  });

  it("packs many out-of-line values into one data file at distinct offsets", async () => {
    const dir = join(root, "packed");
    const values = Array.from({ length: 50 }, (_, i) => ({ key: `arr${String(i).padStart(2, "0")}/0`, bytes: pattern(2000 + i, i) }));
    await writeOcdbt(dir, values);
    const files = await readdir(join(dir, "d"));
    assert.equal(files.length, 2); // one data file for all 50 values, one for the leaf
    const sizes = (await Promise.all(files.map((f) => readFile(join(dir, "d", f))))).map((b) => b.length).sort((a, b) => b - a);
    assert.equal(sizes[0], values.reduce((a, v) => a + v.bytes.length, 0));
    const db = await openOcdbt(dir);
    for (const v of values) assert.deepEqual(await db.get(v.key), v.bytes, v.key);
  });

  it("reads a packed data file whole, once, and names it when it is too short", async () => {
    const dir = join(root, "packed-short");
    const values = Array.from({ length: 10 }, (_, i) => ({ key: `a${i}/0`, bytes: pattern(3000 + i, i) }));
    await writeOcdbt(dir, values);
    const files = await readdir(join(dir, "d"));
    const sizes = await Promise.all(files.map(async (f) => (await readFile(join(dir, "d", f))).length));
    const packedFile = join(dir, "d", files[sizes.indexOf(Math.max(...sizes))]);
    const db = await openOcdbt(dir);
    // Values come out right in any order and at once (views of one read).
    const got = await Promise.all([...values].reverse().map((v) => db.get(v.key)));
    got.reverse().forEach((b, i) => assert.deepEqual(b, values[i].bytes, values[i].key));
    await writeFile(packedFile, (await readFile(packedFile)).subarray(0, 10_000));
    const short = await rejection(async () => (await openOcdbt(dir)).get("a9/0"));
    assert.ok(short.startsWith(packedFile), short);
    assert.match(short, /truncated/);
  });

  it("splits a big tree into leaves under an interior root", async function () {
    this.timeout(60_000);
    const dir = join(root, "two-level");
    // 12000 inline values of 1000 bytes: about 12 MB of leaf data, more than one 8 MiB leaf holds.
    const values = Array.from({ length: 12000 }, (_, i) => ({ key: `p.${String(i).padStart(5, "0")}/0`, bytes: pattern(1000, i) }));
    await writeOcdbt(dir, values);
    const manifest = await decodeManifest(await readFile(join(dir, "manifest.ocdbt")), "manifest");
    assert.equal(manifest.latest?.root?.height, 1);
    const db = await openOcdbt(dir);
    assert.equal(db.keys().length, 12000);
    for (const i of [0, 1, 5999, 6000, 11999]) assert.deepEqual(await db.get(values[i].key), values[i].bytes, values[i].key);
  });

  it("follows interior nodes, subtree prefixes, base paths and value offsets in shared data files", async () => {
    // Layout built by hand from the spec:
    //   d/values: [16 junk bytes][value of "arr/1" (2000 B)][value of "arr/2" (1500 B)]
    //   sub/d/nodes: [7 junk bytes][leaf A][leaf B][interior root]
    // The root reaches its children through table entry (base "sub/", relative "d/nodes"),
    // so the leaves' own tables resolve "d/values" below "sub/" -> we put the values at sub/d/values.
    const dir = join(root, "handmade");
    await mkdir(join(dir, "sub", "d"), { recursive: true });
    const v1 = pattern(2000, 3);
    const v2 = pattern(1500, 4);
    const values = new Uint8Array(16 + v1.length + v2.length);
    values.set(v1, 16);
    values.set(v2, 16 + v1.length);
    await writeFile(join(dir, "sub", "d", "values"), values);

    // Leaf A holds "arr/.zarray" (inline) and "arr/1" (indirect); keys relative to the subtree prefix "arr/".
    const leafA = await encodeLeafNode(
      [
        { key: utf8.encode(".zarray"), value: { kind: "inline", bytes: utf8.encode("meta") } },
        { key: utf8.encode("1"), value: { kind: "indirect", fileIndex: 0, offset: 16, length: v1.length } },
      ],
      ["d/values"], 1,
    );
    // Leaf B holds "arr/2" (indirect) and "zz" (inline); no common subtree prefix.
    const leafB = await encodeLeafNode(
      [
        { key: utf8.encode("arr/2"), value: { kind: "indirect", fileIndex: 0, offset: 16 + v1.length, length: v2.length } },
        { key: utf8.encode("zz"), value: { kind: "inline", bytes: utf8.encode("last") } },
      ],
      ["d/values"], 0,
    );
    const offA = 7;
    const offB = offA + leafA.length;
    const w = new ByteWriter();
    w.u8(1); // height
    table(w, [{ base: "sub/", rel: "d/nodes" }]);
    w.varint(2); // children
    w.varint(0); // key prefix length of child 1 vs child 0
    w.varint(4); // "arr/"
    w.varint(5); // "arr/2"
    w.varint(4); // child 0: every key in it starts with "arr/"
    w.varint(0); // child 1: none shared
    w.bytes(utf8.encode("arr/"));
    w.bytes(utf8.encode("arr/2"));
    w.varint(0); w.varint(0); // data file ids
    w.varint(offA); w.varint(offB); // offsets
    w.varint(leafA.length); w.varint(leafB.length); // lengths
    w.varint(2); w.varint(2); // num_keys
    w.varint(leafA.length); w.varint(leafB.length); // num_tree_bytes
    w.varint(v1.length); w.varint(v2.length); // num_indirect_value_bytes
    const interior = await encodeEncodedNode(BTREE_NODE_MAGIC, w.finish(), 1);
    const offRoot = offB + leafB.length;
    const nodes = new Uint8Array(offRoot + interior.length);
    nodes.set(leafA, offA);
    nodes.set(leafB, offB);
    nodes.set(interior, offRoot);
    await writeFile(join(dir, "sub", "d", "nodes"), nodes);
    const manifest = await encodeManifest({
      uuid: new Uint8Array(16),
      maxInlineValueBytes: 1024,
      maxDecodedNodeBytes: 1 << 20,
      root: { height: 1, path: "sub/d/nodes", offset: offRoot, length: interior.length, numKeys: 4, numTreeBytes: nodes.length, numIndirectValueBytes: 3500 },
      commitTimeNs: 0n,
    });
    await writeFile(join(dir, "manifest.ocdbt"), manifest);

    const db = await openOcdbt(dir);
    assert.deepEqual(db.keys().sort(), ["arr/.zarray", "arr/1", "arr/2", "zz"]);
    assert.equal(text(await db.get("arr/.zarray")), "meta");
    assert.deepEqual(await db.get("arr/1"), v1);
    assert.deepEqual(await db.get("arr/2"), v2);
    assert.equal(text(await db.get("zz")), "last");
  });

  it("detects a corrupted node by its CRC-32C and names the file", async () => {
    const dir = join(root, "corrupt");
    await writeOcdbt(dir, [{ key: "k", bytes: utf8.encode("v") }]);
    const [node] = await readdir(join(dir, "d"));
    const path = join(dir, "d", node);
    const bytes = await readFile(path);
    bytes[bytes.length - 6] ^= 0x40;
    await writeFile(path, bytes);
    const message = await rejection(() => openOcdbt(dir));
    assert.ok(message.startsWith(path), message);
    assert.match(message, /CRC-32C mismatch/);
  });

  it("names the manifest when it is truncated, and data files that are too short", async () => {
    const dir = join(root, "truncated");
    await writeOcdbt(dir, [{ key: "k", bytes: pattern(3000, 5) }]);
    const manifestPath = join(dir, "manifest.ocdbt");
    const manifest = await readFile(manifestPath);
    await writeFile(manifestPath, manifest.subarray(0, manifest.length - 3));
    const message = await rejection(() => openOcdbt(dir));
    assert.ok(message.startsWith(manifestPath), message);
    assert.match(message, /truncated or corrupt|truncated/);

    await writeFile(manifestPath, manifest);
    const db = await openOcdbt(dir);
    const dataFiles = await readdir(join(dir, "d"));
    for (const f of dataFiles) {
      const p = join(dir, "d", f);
      const b = await readFile(p);
      if (b.length === 3000) await writeFile(p, b.subarray(0, 1000));
    }
    const short = await rejection(() => db.get("k"));
    assert.match(short, /truncated/);
    assert.match(short, /value of "k"/);
  });

  it("rejects data file paths that leave the database folder", async () => {
    const dir = join(root, "escape");
    await mkdir(dir, { recursive: true });
    const manifest = await encodeManifest({
      uuid: new Uint8Array(16), maxInlineValueBytes: 1024, maxDecodedNodeBytes: 1 << 20,
      root: { height: 0, path: "../outside", offset: 0, length: 10, numKeys: 0, numTreeBytes: 10, numIndirectValueBytes: 0 },
      commitTimeNs: 0n,
    });
    await writeFile(join(dir, "manifest.ocdbt"), manifest);
    assert.match(await rejection(() => openOcdbt(dir)), /leaves the database folder/);
  });

  it("writes each sequence of produced values into one data file of its own, in order, with small ones inline", async () => {
    const dir = join(root, "sequences");
    const produced = (sequence: string, key: string, bytes: Uint8Array) => ({ key, sequence, produce: async () => bytes });
    const a = [0, 1, 2, 3].map((i) => pattern(5000 + i, i));
    const b = [0, 1].map((i) => pattern(3000, 10 + i));
    const written: string[] = [];
    await writeOcdbt(
      dir,
      [
        ...a.map((bytes, i) => produced("a", `a/${i}`, bytes)),
        produced("a", "a/4", pattern(10, 4)), // compressed small: inline
        ...b.map((bytes, i) => produced("b", `b/${i}`, bytes)),
        { key: "c", bytes: pattern(2000, 20) },
      ],
      { onValueWritten: (key) => written.push(key) },
    );
    const files = await Promise.all((await readdir(join(dir, "d"))).map((f) => readFile(join(dir, "d", f))));
    const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
    assert.equal(files.length, 4, "a's file, b's file, c's file and the B+tree's");
    assert.ok(files.some((f) => f.equals(concat(a))), "a's values back to back in one file, in order");
    assert.ok(files.some((f) => f.equals(concat(b))), "b's values in one file");
    assert.deepEqual(written.filter((k) => k.startsWith("a/")), ["a/0", "a/1", "a/2", "a/3", "a/4"], "written in order, the inline one at the end");
    const db = await openOcdbt(dir);
    for (const [i, bytes] of a.entries()) assert.deepEqual(await db.get(`a/${i}`), bytes);
    assert.deepEqual(await db.get("a/4"), pattern(10, 4));
    assert.deepEqual(await db.get("b/1"), b[1]);
    assert.deepEqual(await db.get("c"), pattern(2000, 20));
  });

  it("produces a sequence at most two values ahead, and after a failure waits for those already started", async () => {
    let inFlight = 0;
    let most = 0;
    const values = Array.from({ length: 8 }, (_, i) => ({
      key: `x/${i}`,
      sequence: "x",
      produce: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, i === 3 ? 0 : 30));
        inFlight--;
        if (i === 3) throw new Error("chunk 3 failed");
        return pattern(2000, i);
      },
    }));
    await assert.rejects(writeOcdbt(join(root, "failing-sequence"), values), /chunk 3 failed/);
    assert.equal(inFlight, 0, "every value started was finished before the write failed");
    assert.equal(most, 3, "the one being written and two ahead");
  });

  it("with flush, starts flushing a long sequence's data file while later values are still being made", async () => {
    const probe = await open(join(root, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = proto.datasync;
    const events: string[] = [];
    proto.datasync = function (this: unknown) {
      events.push("datasync");
      return datasync.call(this);
    };
    try {
      const big = Array.from({ length: 10 }, (_, i) => pattern(4 * 2 ** 20, i));
      const dir = join(root, "flushed-sequence");
      await writeOcdbt(
        dir,
        big.map((bytes, i) => ({ key: `x/${i}`, sequence: "x", produce: async () => (events.push(`produce ${i}`), bytes) })),
        { flush: true },
      );
      const first = events.indexOf("datasync");
      assert.ok(first > 0 && first < events.indexOf("produce 9"), `a flush starts before the last value is made: ${events.join(", ")}`);
      const db = await openOcdbt(dir);
      for (const [i, bytes] of big.entries()) assert.ok(Buffer.from((await db.get(`x/${i}`))!).equals(Buffer.from(bytes)), `x/${i}`);
    } finally {
      proto.datasync = datasync;
    }
  });
});
