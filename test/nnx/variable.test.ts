import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { pytreeNode, type PytreeNode } from "../../src/runtime/pytree.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { describeEachDevice } from "../helpers/devices.js";
import { TinyLinear } from "./fixtures.js";

const np = jax.numpy;

class Count<T = jax.Array> extends nnx.Variable<T> {}

describeEachDevice("nnx.Variable ownership", () => {
  it("value hands out a new reference: a caller consuming it leaves the parameter alive", async () => {
    const p = new nnx.Param(np.array([1, 2, 3]));
    assert.equal(p.raw.refCount, 1);
    const doubled = p.value.mul(2); // mul consumes the reference value gave out
    assert.deepEqual(await doubled.jsAsync(), [2, 4, 6]);
    assert.equal(p.raw.refCount, 1);
    assert.deepEqual(await p.value.jsAsync(), [1, 2, 3]);
  });

  it("assignment takes the new array and disposes the old one", async () => {
    const old = np.array([1, 2]);
    const p = new nnx.Param(old);
    const next = np.array([5, 6]);
    p.value = next;
    assert.equal(old.refCount, 0);
    assert.equal(next.refCount, 1);
    assert.equal(p.raw, next);
    assert.deepEqual(await p.value.jsAsync(), [5, 6]);
  });

  it("v.value = v.value keeps exactly one reference", () => {
    const p = new nnx.Param(np.array([1]));
    p.value = p.value;
    assert.equal(p.raw.refCount, 1);
  });

  it("using a disposed array names the Variable and its path", () => {
    const model = new TinyLinear([[1]], [0]);
    assert.equal(model.kernel.path, undefined);
    nnx.split(model); // records paths
    assert.equal(model.kernel.path, "kernel");
    model.kernel.raw.dispose(); // a caller consumed the array without .ref
    assert.throws(() => model.kernel.value, /Param at kernel: its array \(float32\[1,1\]\) was disposed/);
  });

  it("holds abstract values, numbers and other leaves", () => {
    const abstract = new nnx.Param(new ShapeDtypeStruct([3, 4], jax.numpy.float32));
    assert.deepEqual(abstract.shape, [3, 4]);
    assert.equal(abstract.dtype, jax.numpy.float32);
    const n = new Count(7);
    assert.equal(n.value, 7);
    n.value = 8;
    assert.equal(n.value, 8);
    assert.equal(n.shape, undefined);
  });
});

describe("nnx.Variable kinds and metadata", () => {
  it("keeps metadata and the subclass", () => {
    const p = new nnx.Param(1, { sharding: ["data", null] });
    assert.deepEqual(p.metadata, { sharding: ["data", null] });
    const c = new Count(0);
    assert.ok(c instanceof nnx.Variable && c instanceof Count && !(c instanceof nnx.Param));
    assert.ok(new nnx.RngKey(0) instanceof nnx.RngState);
    assert.ok(new nnx.RngCount(0) instanceof nnx.RngState);
    assert.equal(new nnx.RngKey(0, { tag: "params" }).tag, "params");
  });

  it("rejects bad metadata and nested Variables with clear errors", () => {
    assert.throws(() => new nnx.Param(1, [] as never), /Param: metadata must be an object/);
    assert.throws(() => new nnx.Param(new nnx.Param(1) as never), /Param: the value is itself a Param/);
    const p = new nnx.Param(1);
    assert.throws(() => (p.value = new nnx.BatchStat(2) as never), /cannot hold another Variable \(BatchStat\)/);
  });

  it("is one tree node with the child 'value'; rebuild keeps kind and metadata", () => {
    const p = new Count(3, { note: "x" });
    const { children, rebuild } = (p as unknown as PytreeNode<Count>)[pytreeNode]();
    assert.deepEqual(children, [["value", 3]]);
    const rebuilt = rebuild([["value", new Float32Array([1, 2])]]);
    assert.ok(rebuilt instanceof Count);
    assert.deepEqual(rebuilt.metadata, { note: "x" });
    assert.deepEqual(rebuilt.raw, new Float32Array([1, 2]));
    assert.equal(p.raw, 3, "the original is untouched");
    assert.throws(() => rebuild([["val", 1]]), /rebuild expects one child "value"/);
  });

  it("reprs like NNX", () => {
    assert.equal(String(new nnx.Param(new ShapeDtypeStruct([4, 4], jax.numpy.float32))), "Param(float32[4,4])");
    assert.equal(String(new nnx.RngCount(2, { tag: "dropout" })), 'RngCount(2, tag="dropout")');
  });
});
