import assert from "node:assert/strict";
import { isPlainObject, pytreeNode, treeNodeOf, type PytreeChildren, type TreeKey } from "../../src/runtime/pytree.js";

/** A protocol node with two children, rebuilt as a new Pair. */
class Pair {
  constructor(readonly a: unknown, readonly b: unknown) {}
  [pytreeNode](): PytreeChildren<Pair> {
    return { children: [["a", this.a], ["b", this.b]], rebuild: (cs: [TreeKey, unknown][]) => new Pair(cs[0]![1], cs[1]![1]) };
  }
}

describe("runtime tree walker (treeNodeOf)", () => {
  it("sees JS arrays as sequences keyed by position, rebuilt as arrays", () => {
    const view = treeNodeOf([10, 20])!;
    assert.equal(view.sequence, true);
    assert.deepEqual(view.children, [[0, 10], [1, 20]]);
    assert.deepEqual(view.rebuild([[0, "x"], [1, "y"]]), ["x", "y"]);
  });

  it("sees plain objects (also without a prototype) keyed by own keys, rebuilt as plain objects", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 1 });
    for (const tree of [{ k: 1 }, bare]) {
      const view = treeNodeOf(tree)!;
      assert.equal(view.sequence, false);
      assert.deepEqual(view.children, [["k", 1]]);
      assert.deepEqual(view.rebuild([["k", 2]]), { k: 2 });
    }
  });

  it("sees protocol nodes through their own children and rebuild", () => {
    const view = treeNodeOf(new Pair(1, 2))!;
    assert.equal(view.sequence, false);
    assert.deepEqual(view.children, [["a", 1], ["b", 2]]);
    const rebuilt = view.rebuild([["a", 3], ["b", 4]]);
    assert.ok(rebuilt instanceof Pair);
    assert.deepEqual([rebuilt.a, rebuilt.b], [3, 4]);
  });

  it("gives null for leaves: numbers, null, class instances without the protocol", () => {
    for (const leaf of [1, "s", null, undefined, new Map(), new (class Box {})()]) assert.equal(treeNodeOf(leaf), null);
    assert.equal(isPlainObject(new (class Box {})()), false);
    assert.equal(isPlainObject([]), false);
    assert.equal(isPlainObject({}), true);
  });
});
