import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { isPytreeNode, pytreeNode, type TreeKey } from "../../src/runtime/pytree.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { describeEachDevice } from "../helpers/devices.js";
import { Counter, TinyLinear, valueOf } from "./fixtures.js";

const np = jax.numpy;

class Stack extends nnx.Module {
  layers = [new TinyLinear([[1]], [2]), new TinyLinear([[3]], [4])];
  head = new TinyLinear([[5, 6]], [7, 8]);
  stats = new Counter();
}

/** Flatten any tree through the runtime protocol only, as the checkpoint layer does. */
function flattenByProtocol(tree: unknown, path: TreeKey[] = [], out: [string, unknown][] = []): [string, unknown][] {
  if (isPytreeNode(tree)) {
    for (const [key, child] of tree[pytreeNode]().children) flattenByProtocol(child, [...path, key], out);
  } else {
    out.push([path.join("."), tree]);
  }
  return out;
}

describeEachDevice("nnx.State", () => {
  it("flattens, in key order, to [path, Variable] pairs and back", () => {
    const state = nnx.state(new Stack());
    const flat = state.flatState();
    assert.deepEqual(flat.map(([p]) => p.join(".")), ["head.bias", "head.kernel", "layers.0.bias", "layers.0.kernel", "layers.1.bias", "layers.1.kernel", "stats.calls"]);
    assert.ok(flat.every(([, leaf]) => leaf instanceof nnx.Variable));
    const back = nnx.fromFlatState(nnx.toFlatState(state));
    assert.equal(String(back), String(state));
    assert.equal(back.at("layers", 0, "bias"), state.at("layers", 0, "bias"));
  });

  it("implements the tree protocol like Python Orbax sees NNX state: Variables end in .value", () => {
    const state = nnx.state(new Stack());
    const leaves = flattenByProtocol(state);
    assert.deepEqual(leaves.map(([p]) => p), [
      "head.bias.value", "head.kernel.value", "layers.0.bias.value", "layers.0.kernel.value",
      "layers.1.bias.value", "layers.1.kernel.value", "stats.calls.value",
    ]);
    const { children } = state[pytreeNode]();
    assert.deepEqual((children[1]![1] as nnx.State)[pytreeNode]().children.map(([k]) => k), [0, 1], "list positions stay integers");
  });

  it("rebuilds through the protocol into a State of the same kinds holding new leaves", () => {
    const state = nnx.state(new Stack());
    const rebuild = (tree: unknown): unknown => {
      if (!isPytreeNode(tree)) return new ShapeDtypeStruct([1], jax.numpy.float32);
      const node = tree[pytreeNode]();
      return node.rebuild(node.children.map(([k, c]) => [k, rebuild(c)]));
    };
    const abstract = rebuild(state) as nnx.State;
    assert.ok(abstract instanceof nnx.State);
    const calls = abstract.at("stats", "calls");
    assert.ok(calls instanceof nnx.BatchStat);
    assert.ok((calls as nnx.BatchStat<ShapeDtypeStruct>).raw instanceof ShapeDtypeStruct);
    assert.ok(abstract.at("layers", 1, "kernel") instanceof nnx.Param);
  });

  it("filter keeps the matching leaves; split also demands every leaf be matched", () => {
    const state = nnx.state(new Stack());
    const [params, stats] = state.filter(nnx.Param, nnx.BatchStat);
    assert.equal(params!.flatState().length, 6);
    assert.deepEqual(stats!.flatState().map(([p]) => p.join(".")), ["stats.calls"]);
    assert.throws(() => state.split(nnx.Param), /leave 1 state leaf\/leaves unmatched: stats\.calls/);
    const [p2, rest] = state.split(nnx.Param, nnx.Everything);
    assert.equal(p2!.flatState().length + rest!.flatState().length, 7);
  });

  it("merge and map", async () => {
    const state = nnx.state(new Stack());
    const [params, rest] = state.split(nnx.Param, nnx.Everything);
    assert.equal(String(nnx.State.merge(params!, rest!)), String(state));
    const doubled = params!.map((_path, leaf) => (leaf as nnx.Param).withValue((leaf as nnx.Param).value.mul(2)));
    assert.deepEqual(await valueOf(doubled.at("head", "bias")), [14, 16]);
    assert.deepEqual(await valueOf(params!.at("head", "bias")), [7, 8]);
  });

  it("toPureDict gives raw arrays with string keys; replaceByPureDict round-trips", async () => {
    const state = nnx.state(new Stack());
    const pure = nnx.toPureDict(state);
    assert.deepEqual(Object.keys(pure.layers as object), ["0", "1"]);
    const bias = ((pure.layers as Record<string, Record<string, jax.Array>>)["1"]!).bias!;
    assert.deepEqual(await bias.ref.jsAsync(), [4]);
    (pure.layers as Record<string, Record<string, jax.Array>>)["1"]!.bias = np.array([40]);
    bias.dispose();
    const target = nnx.state(new Stack());
    nnx.replaceByPureDict(target, pure);
    assert.deepEqual(await valueOf(target.at("layers", 1, "bias")), [40], "'1' fell back to list position 1");
    assert.ok(target.at("layers", 1, "bias") instanceof nnx.Param);
    assert.deepEqual(await valueOf(target.at("head", "kernel")), [[5, 6]]);
  });

  it("replaceByPureDict prefers an exact key over the integer fallback", async () => {
    const state = new nnx.State([["0", new nnx.Param(np.array([1]))], [0, new nnx.Param(np.array([2]))]]);
    nnx.replaceByPureDict(state, { "0": np.array([10]) });
    assert.deepEqual(await valueOf(state.get("0")), [10]);
    assert.deepEqual(await valueOf(state.get(0)), [2]);
  });

  it("replaceByPureDict names an unknown key and a shape mismatch, and replaces nothing then", async () => {
    const state = nnx.state(new Stack());
    assert.throws(() => nnx.replaceByPureDict(state, { layers: { "7": { bias: np.array([1]) } } }), /key "7" at layers is not in the state; keys there: \[0, 1\]/);
    assert.throws(
      () => nnx.replaceByPureDict(state, { head: { bias: np.array([0, 0]), kernel: np.array([[1, 2, 3]]) } }),
      /shape mismatch at head\.kernel: the state has \[1,2\] \(float32\), the new value \[1,3\]/,
    );
    assert.deepEqual(await valueOf(state.at("head", "bias")), [7, 8]);
  });

  it("get names the missing key and the keys there are", () => {
    const state = nnx.state(new TinyLinear([[1]], [2]));
    assert.throws(() => state.get("weight"), /State has no key "weight"; keys: \["bias", "kernel"\]/);
  });

  it("reprs as State({...})", () => {
    const state = nnx.state(new TinyLinear([[1, 2]], [3, 4]));
    assert.equal(String(state), 'State({\n  "bias": Param(float32[2]),\n  "kernel": Param(float32[1,2])\n})');
  });
});

describe("nnx filters", () => {
  class Tagged extends nnx.Module {
    w = new nnx.Param(1);
    stat = new nnx.BatchStat(2);
    key = new nnx.RngKey(3, { tag: "dropout" });
    inner = { w: new nnx.Param(4) };
  }
  const paths = (state: nnx.State) => state.flatState().map(([p]) => p.join("."));

  it("by class, by string (tag, then class name), by predicate", () => {
    const m = new Tagged();
    assert.deepEqual(paths(nnx.state(m, nnx.Param)), ["inner.w", "w"]);
    assert.deepEqual(paths(nnx.state(m, nnx.RngState)), ["key"], "subclasses match");
    assert.deepEqual(paths(nnx.state(m, "dropout")), ["key"]);
    assert.deepEqual(paths(nnx.state(m, "BatchStat")), ["stat"]);
    assert.deepEqual(paths(nnx.state(m, (path) => path.length === 2)), ["inner.w"]);
  });

  it("combinators: Any, All, Not, PathContains, Everything, Nothing", () => {
    const m = new Tagged();
    assert.deepEqual(paths(nnx.state(m, nnx.Any(nnx.BatchStat, "dropout"))), ["key", "stat"]);
    assert.deepEqual(paths(nnx.state(m, nnx.All(nnx.Param, nnx.PathContains("inner")))), ["inner.w"]);
    assert.deepEqual(paths(nnx.state(m, nnx.Not(nnx.Param))), ["key", "stat"]);
    assert.deepEqual(paths(nnx.state(m, nnx.Everything)), ["inner.w", "key", "stat", "w"]);
    assert.deepEqual(paths(nnx.state(m, nnx.Nothing)), []);
  });

  it("each leaf goes to the first filter it matches", () => {
    const [, a, b] = nnx.split(new Tagged(), nnx.PathContains("inner"), nnx.Everything);
    assert.deepEqual(paths(a!), ["inner.w"]);
    assert.deepEqual(paths(b!), ["key", "stat", "w"]);
  });

  it("split names the leaves no filter matches; Everything may only come last", () => {
    assert.throws(() => nnx.split(new Tagged(), nnx.Param, nnx.BatchStat), /\[Param, BatchStat\] leave 1 state leaf\/leaves unmatched: key/);
    assert.throws(() => nnx.split(new Tagged(), nnx.Everything, nnx.Param), /nnx.Everything can only be the last filter/);
    assert.throws(() => nnx.state(new Tagged(), 42 as never), /not a filter: 42/);
  });
});
