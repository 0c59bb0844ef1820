import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import * as ocp from "../../src/ocp/index.js";
import { encodeFromTypedArray, writePyTree, type LeafEntry } from "../../src/ocp/format/index.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;
const f32 = (shape: number[]) => new ShapeDtypeStruct(shape, jax.DType.Float32);

describe("ocp restore against a changed template", () => {
  let dir: string;
  let ckpt: string;
  const ckptr = new ocp.StandardCheckpointer();
  before(async () => {
    dir = scratchDir("restore");
    ckpt = path.join(dir, "c");
    await ckptr.save(ckpt, {
      a: np.array(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }),
      b: { c: np.array(new Float32Array([7, 8])), old: np.array(new Int32Array([1])) },
      k: np.array(new Int32Array([1, 2])),
    });
    await ckptr.waitUntilFinished();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("raises ONE error listing every difference path by path", async () => {
    const template = { a: f32([2, 2]), b: { c: f32([2]), added: f32([1]) }, k: f32([2]) };
    const error = await ckptr.restore(ckpt, template).then(
      () => assert.fail("restore accepted a mismatched template"),
      (e: unknown) => e as ocp.TreeMismatchError,
    );
    assert.ok(error instanceof ocp.TreeMismatchError);
    assert.deepEqual(error.differences, [
      "a: shape [2, 3] in the checkpoint, [2, 2] in the template",
      "b.added: in the template but not in the checkpoint",
      "k: dtype int32 in the checkpoint, float32 in the template",
      "b.old: in the checkpoint but not in the template",
    ]);
    assert.match(error.message, /4 differences/);
  });

  it("partialRestore restores what matches and reports what it skipped", async () => {
    const keep = np.array(new Float32Array([9]));
    const template = { a: f32([2, 3]), b: { c: f32([2]), added: keep } };
    const out = (await ckptr.restore(ckpt, template, { partialRestore: true })) as { a: jax.Array; b: { c: jax.Array; added: jax.Array } };
    assert.deepEqual(Array.from(await out.a.data()), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(await out.b.c.data()), [7, 8]);
    assert.equal(out.b.added, keep, "a leaf missing from the checkpoint keeps the template's value");
    assert.deepEqual(ckptr.lastRestoreReport.skipped, [
      { path: "b.added", reason: "in the template but not in the checkpoint" },
      { path: "b.old", reason: "in the checkpoint but not in the template" },
      { path: "k", reason: "in the checkpoint but not in the template" },
    ]);
  });

  it("strict: false pads with zeros and truncates as Orbax does, and reports it", async () => {
    const template = { a: f32([3, 2]), b: { c: f32([4]), old: new ShapeDtypeStruct([1], jax.DType.Int32) }, k: new ShapeDtypeStruct([2], jax.DType.Int32) };
    const out = (await ckptr.restore(ckpt, template, { strict: false })) as { a: jax.Array; b: { c: jax.Array } };
    assert.deepEqual(Array.from(await out.a.data()), [1, 2, 4, 5, 0, 0]);
    assert.deepEqual(Array.from(await out.b.c.data()), [7, 8, 0, 0]);
    assert.deepEqual(ckptr.lastRestoreReport.reshaped, [
      { path: "a", from: [2, 3], to: [3, 2] },
      { path: "b.c", from: [2], to: [4] },
    ]);
  });
});

describe("ocp restore of dtypes jax-js cannot hold", () => {
  let dir: string;
  before(async () => {
    dir = scratchDir("dtypes");
    // bfloat16 1.5 = 0x3fc0, -2 = 0xc000; float16 0.5 = 0x3800, 65504 = 0x7bff.
    const leaves: LeafEntry[] = [
      { path: { keys: ["bf"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new Uint16Array([0x3fc0, 0xc000]), "bfloat16", [2]) } },
      { path: { keys: ["h"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new Uint16Array([0x3800, 0x7bff]), "float16", [2]) } },
      { path: { keys: ["i64"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new BigInt64Array([-5n, 1n << 40n]), "int64", [2]) } },
      { path: { keys: ["small"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new BigInt64Array([-5n, 6n]), "int64", [2]) } },
    ];
    await writePyTree(path.join(dir, "c"), leaves, { compression: "zstd", layout: "ocdbt" });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("converts to the template's dtype and lists every conversion", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    const template = { bf: f32([2]), h: f32([2]), small: new ShapeDtypeStruct([2], jax.DType.Int32) };
    const out = (await ckptr.restore(path.join(dir, "c"), template, { partialRestore: true })) as Record<string, jax.Array>;
    assert.deepEqual(Array.from(await out.bf.data()), [1.5, -2]);
    assert.deepEqual(Array.from(await out.h.data()), [0.5, 65504]);
    assert.deepEqual(Array.from(await out.small.data()), [-5, 6]);
    assert.deepEqual(ckptr.lastRestoreReport.conversions, [
      { path: "bf", from: "bfloat16", to: "float32" },
      { path: "h", from: "float16", to: "float32" },
      { path: "small", from: "int64", to: "int32" },
    ]);
  });

  it("without a template picks the nearest dtype jax-js holds and lists it; out-of-range int64 fails by name", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    await assert.rejects(ckptr.restore(path.join(dir, "c")), /i64/);
    const inRange: LeafEntry[] = [
      { path: { keys: ["bf"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new Uint16Array([0x3fc0]), "bfloat16", [1]) } },
      { path: { keys: ["n"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(new BigInt64Array([-7n]), "int64", [1]) } },
    ];
    await writePyTree(path.join(dir, "plain"), inRange, { compression: "none", layout: "zarr2" });
    const out = (await ckptr.restore(path.join(dir, "plain"))) as Record<string, jax.Array>;
    assert.equal(out.bf.dtype, "float32");
    assert.deepEqual(Array.from(await out.bf.data()), [1.5]);
    assert.equal(out.n.dtype, "int32");
    assert.deepEqual(Array.from(await out.n.data()), [-7]);
    assert.deepEqual(ckptr.lastRestoreReport.conversions, [
      { path: "bf", from: "bfloat16", to: "float32" },
      { path: "n", from: "int64", to: "int32" },
    ]);
  });

  it("a float template for an int checkpoint is an error, not a silent cast", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    await assert.rejects(ckptr.restore(path.join(dir, "c"), { small: f32([2]) }, { partialRestore: false }), /small: dtype int64 in the checkpoint, float32 in the template/);
  });
});
