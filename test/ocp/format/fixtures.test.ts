import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { readPyTree, readPyTreeMetadata } from "../../../src/ocp/format/index.js";
import { arrayOf, COMPAT, int32s, int64s, LEGACY, leafByName, rejection } from "./helpers.js";

/** Every item folder in Orbax's compatibility corpus: a folder holding array storage or `_METADATA`. */
async function itemFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const names = await readdir(dir);
    if (names.includes("_METADATA") || names.includes("manifest.ocdbt") || names.includes("d")) {
      out.push(dir);
      return;
    }
    for (const n of names) if ((await stat(join(dir, n))).isDirectory()) await walk(join(dir, n));
  }
  await walk(root);
  return out.sort();
}

const folders = await itemFolders(COMPAT);
const critical = (dir: string) => dir.includes("/critical_metadata_alterations/missing_pytree_data_");
// The item Orbax's test adds to break a composite checkpoint: its _METADATA is the text "dummy".
const dummy = (dir: string) => dir.endsWith("dummy_checkpointable_added/dummy");

describe("ocp/format: Orbax's compatibility fixtures", () => {
  it("finds the whole corpus (v0 direct and composite, v1 composite)", () => {
    // 12 v0 direct + 12 v0 composite + 13 v1 composite (one adds a dummy item without storage).
    assert.ok(folders.length >= 36, `only ${folders.length} item folders found under ${COMPAT}`);
    assert.ok(folders.some((f) => f.includes("v1_checkpoints")));
    assert.ok(folders.some((f) => f.includes("direct_checkpoint")));
  });

  for (const dir of folders.filter((d) => !critical(d) && !dummy(d))) {
    const name = relative(COMPAT, dir);
    it(`reads ${name}: a = [0..7], b.c = [1, 2, 3] (int32)`, async () => {
      const meta = await readPyTreeMetadata(dir);
      assert.equal(meta.layout, "ocdbt");
      assert.equal(meta.zarrVersion, name.startsWith("v1_") ? 3 : 2);
      assert.deepEqual(
        meta.leaves.map((l) => ({ ...l })),
        [
          { path: { keys: ["a"], keyTypes: [2] }, kind: "array", dtype: "int32", shape: [8] },
          { path: { keys: ["b", "c"], keyTypes: [2, 2] }, kind: "array", dtype: "int32", shape: [3] },
        ],
      );
      const leaves = await readPyTree(dir);
      assert.equal(leaves.length, 2);
      assert.deepEqual(int32s(arrayOf(leafByName(leaves, "a"))), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(int32s(arrayOf(leafByName(leaves, "b", "c"))), [1, 2, 3]);
    });
  }

  it("reads the fixture's null custom_metadata as absent (StandardCheckpointer keeps it in _CHECKPOINT_METADATA)", async () => {
    const dir = folders.find((d) => d.includes("v0_checkpoints/direct_checkpoint/checkpoint_metadata_present/pytree_checkpointable_has_metadata"))!;
    const meta = await readPyTreeMetadata(dir);
    assert.equal(meta.customMetadata, undefined);
  });

  it("select reads only the chosen leaves", async () => {
    const dir = folders.find((d) => !critical(d))!;
    const leaves = await readPyTree(dir, { select: (p) => p.keys[0] === "b" });
    assert.deepEqual(leaves.map((l) => l.path.keys), [["b", "c"]]);
  });

  it("reports progress up to the total stored bytes", async () => {
    const dir = folders.find((d) => !critical(d))!;
    const calls: [number, number][] = [];
    await readPyTree(dir, { onProgress: (d, t) => calls.push([d, t]) });
    assert.deepEqual(calls.at(-1), [44, 44]); // 8 + 3 int32 values
  });

  it("rejects the dummy item added to a composite checkpoint, naming its _METADATA as corrupted", async () => {
    const dir = folders.find(dummy);
    assert.ok(dir, "fixture dummy_checkpointable_added/dummy not found");
    const message = await rejection(() => readPyTree(dir));
    assert.ok(message.startsWith(join(dir, "_METADATA")), message);
    assert.match(message, /corrupted metadata, not valid JSON/);
  });

  for (const dir of folders.filter(critical)) {
    const name = relative(COMPAT, dir);
    const missing = name.includes("missing_pytree_data_dir_d") ? "/d/" : "manifest.ocdbt";
    it(`fails on ${name}, naming the missing ${missing}`, async () => {
      const message = await rejection(() => readPyTree(dir));
      assert.ok(message.includes(dir), message);
      assert.ok(message.includes(missing), message);
      assert.match(message, /is missing/);
    });
  }
});

describe("ocp/format: legacy aggregate checkpoints (msgpack `checkpoint` file)", () => {
  // Values are Flax's test tree: a = arange(8), b = arange(16) * 2, c.a = arange(8).reshape(2, 4) * 3, c.e = arange(16).reshape(4, 4) * 4.
  const expected = {
    a: Array.from({ length: 8 }, (_, i) => i),
    b: Array.from({ length: 16 }, (_, i) => 2 * i),
    ca: Array.from({ length: 8 }, (_, i) => 3 * i),
    ce: Array.from({ length: 16 }, (_, i) => 4 * i),
  };
  for (const name of ["aggregate_all.checkpoint", "aggregate_some.checkpoint"]) {
    it(`reads ${name}`, async () => {
      const dir = join(LEGACY, name);
      const meta = await readPyTreeMetadata(dir);
      assert.equal(meta.layout, "zarr2");
      assert.deepEqual(
        meta.leaves.map((l) => [l.path.keys, l.kind === "array" ? [l.dtype, l.shape] : l.kind]),
        [[["a"], ["int64", [8]]], [["b"], ["int64", [16]]], [["c", "a"], ["int64", [2, 4]]], [["c", "e"], ["int64", [4, 4]]]],
      );
      const leaves = await readPyTree(dir);
      assert.deepEqual(int64s(arrayOf(leafByName(leaves, "a"))), expected.a);
      assert.deepEqual(int64s(arrayOf(leafByName(leaves, "b"))), expected.b);
      assert.deepEqual(int64s(arrayOf(leafByName(leaves, "c", "a"))), expected.ca);
      assert.deepEqual(int64s(arrayOf(leafByName(leaves, "c", "e"))), expected.ce);
    });
  }
});
