import assert from "node:assert/strict";
import { pytreeNode, type PytreeChildren, type TreeKey } from "../../src/runtime/pytree.js";
import { buildNested, flattenTree, mapTree, pathName } from "../../src/ocp/tree.js";

/** A node like nnx.Variable: one child under the attribute key "value". */
class Box {
  constructor(readonly value: unknown) {}
  [pytreeNode](): PytreeChildren<Box> {
    return { children: [["value", this.value]], rebuild: (children: [TreeKey, unknown][]) => new Box(children[0][1]) };
  }
}

describe("ocp trees: paths and key types as Orbax writes them", () => {
  it("flattens dicts (key type 2), lists (key type 1) and pytree nodes (attribute, key type 2)", () => {
    const leaves = flattenTree({ layers: [{ kernel: new Box(1) }, { kernel: new Box(2) }], count: 3 });
    assert.deepEqual(
      leaves.map((l) => [pathName(l.keys), l.keys, l.keyTypes, l.leaf]),
      [
        ["layers.0.kernel.value", ["layers", 0, "kernel", "value"], [2, 1, 2, 2], 1],
        ["layers.1.kernel.value", ["layers", 1, "kernel", "value"], [2, 1, 2, 2], 2],
        ["count", ["count"], [2], 3],
      ],
    );
  });
  it("treats null as an empty node and typed arrays as leaves", () => {
    const t = new Float32Array([1, 2]);
    const leaves = flattenTree({ a: null, b: t });
    assert.equal(leaves.length, 1);
    assert.equal(leaves[0].leaf, t);
  });
  it("mapTree rebuilds node kinds (pytree nodes through rebuild)", () => {
    const out = mapTree({ w: new Box(1), xs: [2, 3], n: null }, (l) => (l.leaf as number) * 10) as { w: Box; xs: number[]; n: null };
    assert.ok(out.w instanceof Box);
    assert.equal(out.w.value, 10);
    assert.deepEqual(out.xs, [20, 30]);
    assert.equal(out.n, null);
  });
  it("buildNested makes JS arrays for sequence keys (stored as strings) and objects for dict keys", () => {
    const tree = buildNested([
      { keys: ["b", "0"], keyTypes: [2, 1], leaf: "x" },
      { keys: ["b", "1"], keyTypes: [2, 1], leaf: "y" },
      { keys: ["a", "c"], keyTypes: [2, 2], leaf: 1 },
    ]);
    assert.deepEqual(tree, { b: ["x", "y"], a: { c: 1 } });
  });
});
