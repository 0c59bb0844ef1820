import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import { describeEachDevice, testDevices } from "../helpers/devices.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { pytreeNode, type PytreeChildren, type TreeKey } from "../../src/runtime/pytree.js";
import * as ocp from "../../src/ocp/index.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;

/** Stands in for nnx.Variable: one child under the attribute key "value". */
class Param {
  constructor(readonly value: unknown) {}
  [pytreeNode](): PytreeChildren<Param> {
    return { children: [["value", this.value]], rebuild: (c: [TreeKey, unknown][]) => new Param(c[0][1]) };
  }
}

async function values(x: unknown): Promise<number[]> {
  assert.ok(x instanceof jax.Array, "expected a jax-js array");
  return Array.from(await (x as jax.Array).ref.data());
}

describeEachDevice("ocp.StandardCheckpointer round trips", (device) => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("std")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const compression of ["none", "zstd"] as const) {
    it(`saves large arrays (lent from device memory where the device allows) bit for bit with compression ${compression}, views included`, async function () {
      this.timeout(120_000);
      const rows = 1024;
      const base = np.arange(rows * 1536).astype(jax.DType.Float32).reshape([rows, 1536]).mul(0.5).sub(1000);
      // 6 MiB each: above the 4 MiB at which an array gets a data file of its own.
      const state = {
        plain: base.ref,
        transposed: np.transpose(base.ref),
        sliced: base.ref.slice([0, rows], [0, 1536]).mul(-1),
        ints: np.arange(rows * 1536).astype(jax.DType.Int32).reshape([1536, rows]),
      };
      base.dispose();
      // Worked out here, without reading the arrays: a read would realize the views before the save does.
      const cols = 1536;
      const plain = (i: number, j: number) => (i * cols + j) * 0.5 - 1000;
      const expected: Record<string, (k: number) => number> = {
        plain: (k) => plain(Math.floor(k / cols), k % cols),
        transposed: (k) => plain(k % rows, Math.floor(k / rows)),
        sliced: (k) => -plain(Math.floor(k / cols), k % cols),
        ints: (k) => k,
      };
      const ckptr = new ocp.StandardCheckpointer({ compression });
      await ckptr.save(path.join(dir, "big"), state);
      Object.values(state).forEach((x) => x.dispose());
      const restored = (await ckptr.restore(path.join(dir, "big"))) as Record<string, jax.Array>;
      for (const [name, want] of Object.entries(expected)) {
        const got = await values(restored[name]);
        assert.equal(got.length, rows * cols, name);
        const wrong = got.findIndex((v, k) => v !== want(k));
        assert.equal(wrong, -1, `${name} differs at ${wrong}: ${got[wrong]} instead of ${want(wrong)}`);
        restored[name].dispose();
      }
      await ckptr.close();
    });
  }

  it("saves every leaf kind in nested dicts, lists and pytree nodes and restores them with a template", async () => {
    const state = {
      linear1: { kernel: new Param(np.array(new Float32Array([1.5, -2, 3.25, 4, 5, 6]), { shape: [2, 3] })), bias: new Param(np.array(new Float32Array([0.5, 0.25, -1]))) },
      layers: [np.array(new Int32Array([7, -8, 9])), np.array(new Uint32Array([4000000000, 1]))],
      mask: np.array([true, false, true]),
      wide: new Float64Array([Math.PI, 1e300]),
      count: 42,
      lr: 0.125,
      name: "mlp",
      raw: new Int16Array([-3, 4]),
    };
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "ckpt"), state);
    await ckptr.waitUntilFinished();
    // The caller still owns its arrays after save.
    assert.deepEqual(await values(state.layers[0]), [7, -8, 9]);

    const template = {
      linear1: { kernel: new Param(new ShapeDtypeStruct([2, 3], jax.DType.Float32)), bias: new Param(new ShapeDtypeStruct([3], jax.DType.Float32)) },
      layers: [new ShapeDtypeStruct([3], jax.DType.Int32), new ShapeDtypeStruct([2], jax.DType.Uint32)],
      mask: new ShapeDtypeStruct([3], jax.DType.Bool),
      wide: new Float64Array(2),
      count: 0,
      lr: 0,
      name: "",
      raw: new Int16Array(2),
    };
    const restored = (await ckptr.restore(path.join(dir, "ckpt"), template)) as typeof state;
    assert.ok(restored.linear1.kernel instanceof Param);
    const kernel = restored.linear1.kernel.value as jax.Array;
    assert.deepEqual(kernel.shape, [2, 3]);
    assert.equal(kernel.device, device);
    assert.deepEqual(await values(kernel), [1.5, -2, 3.25, 4, 5, 6]);
    assert.deepEqual(await values(restored.linear1.bias.value), [0.5, 0.25, -1]);
    assert.deepEqual(await values(restored.layers[0]), [7, -8, 9]);
    assert.deepEqual(await values(restored.layers[1]), [4000000000, 1]);
    assert.equal((restored.mask as jax.Array).dtype, "bool");
    assert.deepEqual((await values(restored.mask)).map(Boolean), [true, false, true]);
    assert.ok(restored.wide instanceof Float64Array);
    assert.deepEqual([...restored.wide], [Math.PI, 1e300]);
    assert.equal(restored.count, 42);
    assert.equal(restored.lr, 0.125);
    assert.equal(restored.name, "mlp");
    assert.deepEqual([...restored.raw], [-3, 4]);
    assert.deepEqual(ckptr.lastRestoreReport, { conversions: [], reshaped: [], skipped: [] });
  });

  it("restores without a template as plain nested objects and arrays with the stored shapes and dtypes", async () => {
    const ckptr = new ocp.StandardCheckpointer({ compression: "none", layout: "zarr2" });
    await ckptr.save(path.join(dir, "c"), { a: np.array(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] }), b: [np.array(new Int32Array([5])), { c: 3 }] });
    const restored = (await ckptr.restore(path.join(dir, "c"))) as { a: jax.Array; b: [jax.Array, { c: number }] };
    assert.deepEqual(restored.a.shape, [2, 2]);
    assert.equal(restored.a.dtype, "float32");
    assert.deepEqual(await values(restored.a), [1, 2, 3, 4]);
    assert.ok(Array.isArray(restored.b));
    assert.deepEqual(await values(restored.b[0]), [5]);
    assert.equal(restored.b[1].c, 3);
  });

  it("writes Orbax's single-item layout: _CHECKPOINT_METADATA, commit marker, tree files in the folder", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "c"), { a: np.array(new Float32Array([1])) }, { customMetadata: { custom: "meta" } });
    await ckptr.close();
    const files = fs.readdirSync(path.join(dir, "c")).sort();
    for (const f of ["_CHECKPOINT_METADATA", "_METADATA", "commit_success.txt", "manifest.ocdbt"]) assert.ok(files.includes(f), `${f} in ${files}`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "c", "_CHECKPOINT_METADATA"), "utf8"));
    assert.equal(meta.item_handlers, "orbax.checkpoint._src.handlers.standard_checkpoint_handler.StandardCheckpointHandler");
    assert.deepEqual(meta.custom_metadata, { custom: "meta" });
    assert.ok(meta.commit_timestamp_nsecs >= meta.init_timestamp_nsecs && meta.commit_timestamp_nsecs > 1.7e18);
    assert.deepEqual(fs.readdirSync(dir), ["c"], "no temporary folder is left behind");
  });

  it("save() captures values at once: the caller may dispose its arrays before the write, and no reference leaks", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    const w = np.array(new Float32Array([1, 2, 3]));
    await ckptr.save(path.join(dir, "c"), { w });
    assert.equal(w.refCount, 2, "the pending write holds one reference");
    w.dispose();
    await ckptr.waitUntilFinished();
    const out = (await ckptr.restore(path.join(dir, "c"))) as { w: jax.Array };
    assert.deepEqual(await values(out.w), [1, 2, 3]);

    const kept = np.array(new Float32Array([4]));
    await assert.rejects(ckptr.save(path.join(dir, "bad"), { kept, shape: new ShapeDtypeStruct([1], jax.DType.Float32) }), /save .*bad: Cannot save the leaf at "shape": it is a ShapeDtypeStruct/);
    assert.equal(kept.refCount, 1, "a refused save holds nothing");
    assert.equal(fs.existsSync(path.join(dir, "bad")), false);
  });

  it("restores onto the device of a template array, and onto the default device for a ShapeDtypeStruct", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    await ckptr.save(path.join(dir, "c"), { a: np.array(new Float32Array([1, 2])), b: np.array(new Float32Array([3])) });
    const other = testDevices.find((d) => d !== device) ?? device;
    const template = { a: np.zeros([2], { device: other }), b: new ShapeDtypeStruct([1], jax.DType.Float32) };
    const out = (await ckptr.restore(path.join(dir, "c"), template)) as { a: jax.Array; b: jax.Array };
    assert.equal(out.a.device, other);
    assert.equal(out.b.device, device);
    assert.deepEqual(await values(out.a), [1, 2]);
  });

  it("refuses to overwrite an existing checkpoint unless forced", async () => {
    const ckptr = new ocp.StandardCheckpointer();
    const p = path.join(dir, "c");
    await ckptr.save(p, { a: 1 });
    await ckptr.waitUntilFinished();
    await assert.rejects(ckptr.save(p, { a: 2 }), /already exists; pass \{ force: true \}/);
    await ckptr.save(p, { a: 2 }, { force: true });
    assert.deepEqual(await ckptr.restore(p), { a: 2 });
  });
});
