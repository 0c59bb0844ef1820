import assert from "node:assert/strict";
import * as jaxjs from "@jax-js/jax";
import { jax, nnx, tree } from "../../src/index.js";
import { describeEachDevice } from "../helpers/devices.js";
import { Notebook } from "../kernel/exec/helpers.js";
import { Counter, TinyLinear } from "../nnx/fixtures.js";

const np = jaxjs.numpy;

/** List positions and attribute names at several depths, two Variable kinds: Flax sorts keys within each level. */
class Stack extends nnx.Module {
  layers = [new TinyLinear([[1, 2]], [3, 4]), new TinyLinear([[5], [6]], [7])];
  head = new TinyLinear([[8]], [9]);
  stats = new Counter();
}

/** Path, Variable class and raw array of every leaf, read through the State's own API. */
function flatLeaves(state: nnx.State): [string, string, jaxjs.Array][] {
  return nnx.toFlatState(state).map(([path, leaf]) => {
    const variable = leaf as nnx.Variable;
    return [path.join("."), variable.constructor.name, variable.raw];
  });
}

describeEachDevice("jax.tree over tsnnx nodes", () => {
  it("maps over a State's arrays, giving a State of the same paths and Variable kinds, the state left intact", async () => {
    const state = nnx.state(new Stack());
    const shapes = jax.tree.map((x: jax.Array) => x.shape, state);
    assert.ok(shapes instanceof nnx.State);
    const expected = flatLeaves(state).map(([path, kind, array]) => [path, kind, [...array.shape]]);
    const got = nnx.toFlatState(shapes).map(([path, leaf]) => {
      const variable = leaf as nnx.Variable<number[]>;
      return [path.join("."), variable.constructor.name, [...variable.value]];
    });
    assert.deepEqual(got, expected);
    assert.deepEqual(
      got.map(([path]) => path),
      ["head.bias", "head.kernel", "layers.0.bias", "layers.0.kernel", "layers.1.bias", "layers.1.kernel", "stats.calls"],
    );
    // Reading shapes consumed nothing: every array of the state still reads.
    for (const [, , array] of flatLeaves(state)) await array.ref.data();
  });

  it("maps several States leaf by leaf; a consuming fn over jax.tree.ref(state) leaves the state's values", async () => {
    const state = nnx.state(new Stack()).filter(nnx.Param);
    const before = await Promise.all(flatLeaves(state).map(([, , a]) => a.ref.jsAsync()));
    const summed = jax.tree.map((a: jax.Array, b: jax.Array) => a.add(b), jax.tree.ref(state), jax.tree.ref(state));
    const after = await Promise.all(flatLeaves(state).map(([, , a]) => a.ref.jsAsync()));
    assert.deepEqual(after, before);
    const doubled = await Promise.all(flatLeaves(summed).map(([, , a]) => a.ref.jsAsync()));
    const twice = (v: unknown): unknown => (Array.isArray(v) ? v.map(twice) : 2 * (v as number));
    assert.deepEqual(doubled, before.map(twice));
    jax.tree.dispose(summed);
  });

  it("lists a State's leaves in nnx.toFlatState's (Flax's) order: the Variables' own arrays, not copies", () => {
    const state = nnx.state(new Stack());
    const leaves = jax.tree.leaves(state);
    assert.equal(leaves.length, state.leafCount());
    flatLeaves(state).forEach(([path, , array], i) => assert.equal(leaves[i], array, path));
  });

  it("flattens and unflattens a State back to the same paths, Variable kinds and metadata", () => {
    const state = nnx.state(new Stack());
    state.set("tagged", new nnx.Param(np.array([1, 2]), { sharding: ["data"] }));
    const [leaves, treedef] = jax.tree.flatten(state);
    const rebuilt = jax.tree.unflatten(treedef, leaves);
    assert.ok(rebuilt instanceof nnx.State);
    assert.deepEqual(flatLeaves(rebuilt), flatLeaves(state));
    assert.deepEqual((rebuilt.get("tagged") as nnx.Variable).metadata, { sharding: ["data"] });
    assert.equal(treedef.size, leaves.length);
    assert.ok(jax.tree.structure(nnx.state(new Stack())).equals(jax.tree.structure(nnx.state(new Stack()))));
    assert.ok(!treedef.equals(jax.tree.structure(nnx.state(new Stack()))));
    assert.match(jax.tree.structure(nnx.state(new TinyLinear([[1]], [2]))).toString(), /^JsTreeDef\(State\{bias: Param\{value: \*\}, kernel: Param\{value: \*\}\}\)$/);
  });

  it("walks States inside plain containers", () => {
    const a = nnx.state(new TinyLinear([[1]], [2]));
    const mixed = { params: a, steps: [3, 4] };
    const leaves = jax.tree.leaves<unknown>(mixed);
    assert.deepEqual(leaves.slice(2), [3, 4]);
    assert.equal(leaves[0], (a.get("bias") as nnx.Variable).raw);
    const mapped = jax.tree.map((x: number | jax.Array) => (typeof x === "number" ? x * 10 : "array"), mixed);
    assert.deepEqual(mapped.steps, [30, 40]);
    assert.ok(mapped.params instanceof nnx.State);
    assert.equal((mapped.params.get("kernel") as nnx.Variable<string>).value, "array");
  });

  it("refuses to map trees of different structures, naming both", () => {
    const one = nnx.state(new TinyLinear([[1]], [2]));
    const other = nnx.state(new Stack());
    assert.throws(
      () => jax.tree.map((a: jax.Array, b: jax.Array) => a.shape.length + b.shape.length, one, other),
      /tree 2 has structure JsTreeDef\(State\{head: State\{bias: .*layers: State\{0: State.*but the first tree has JsTreeDef\(State\{bias/,
    );
  });

  it("is jax.tree and the top-level tree; the rest of the namespace is jax-js's", () => {
    assert.equal(jax.tree, tree);
    assert.equal(jax.numpy, jaxjs.numpy);
    assert.equal(jax.jit, jaxjs.jit);
    assert.equal(jax.Array, jaxjs.Array);
    assert.equal(tree.JsTreeDef, jaxjs.tree.JsTreeDef);
  });
});

describe("jax.tree over plain trees: exactly jax-js's results", () => {
  const array = np.array([1, 2, 3]);
  const bare = Object.assign(Object.create(null) as object, { hidden: 1 });
  class Box {
    constructor(readonly v: number) {}
  }
  const trees: unknown[] = [
    5,
    null,
    undefined,
    [],
    {},
    { a: 1, b: [2, { c: 3, "odd key": 4 }], d: null },
    [[1, [2]], { x: "s" }, undefined],
    { arr: array, box: new Box(7), bare },
    { 10: "ten", 2: "two", b: "b" },
  ];
  after(() => array.dispose());

  it("flattens to the same leaves and an equal treedef, and unflattens to the same tree", () => {
    for (const t of trees) {
      const [leaves, treedef] = tree.flatten<unknown>(t);
      const [jsLeaves, jsTreedef] = jaxjs.tree.flatten<unknown>(t);
      assert.equal(leaves.length, jsLeaves.length);
      leaves.forEach((leaf, i) => assert.equal(leaf, jsLeaves[i]));
      assert.ok(treedef.equals(jsTreedef) && jsTreedef.equals(treedef), String(jsTreedef));
      assert.equal(treedef.toString(), jsTreedef.toString());
      assert.deepEqual(treedef, jsTreedef);
      assert.deepEqual(tree.unflatten(treedef, leaves), jaxjs.tree.unflatten(jsTreedef, jsLeaves));
      assert.deepEqual(tree.structure<unknown>(t), jaxjs.tree.structure<unknown>(t));
      assert.deepEqual(tree.leaves<unknown>(t), jaxjs.tree.leaves<unknown>(t));
    }
  });

  it("maps like jax-js, several trees included", () => {
    const describeLeaf = (...xs: unknown[]) => ({ leaves: xs });
    for (const t of trees) {
      assert.deepEqual(tree.map(describeLeaf, t as jaxjs.JsTree<unknown>, t), jaxjs.tree.map(describeLeaf, t as jaxjs.JsTree<unknown>, t));
    }
    assert.throws(() => tree.map((a: number, b: number) => a + b, [1, 2], [1, 2, 3]), /tree 2 has structure JsTreeDef\(\[\*, \*, \*\]\), but the first tree has JsTreeDef\(\[\*, \*\]\)/);
  });

  it("takes and drops references like jax-js", async () => {
    const x = np.array([4, 5]);
    const held = tree.ref({ x });
    assert.equal(held.x, x);
    tree.dispose({ x });
    assert.deepEqual(await held.x.jsAsync(), [4, 5]);
  });
});

describe("jax.tree in a notebook cell (type-checked)", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb.executor.dispose());

  it("types jax.tree.map over nnx.state(model) as a State and runs it", async () => {
    await nb.value("const model = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });");
    const shown = await nb.value(
      [
        "const shapes: nnx.State = jax.tree.map((x: jax.Array) => x.shape, nnx.state(model));",
        "const count: number = jax.tree.leaves(nnx.state(model)).reduce((n, x) => n + x.size, 0);",
        "JSON.stringify([nnx.toFlatState(shapes).map(([p, v]) => [p.join('.'), (v as nnx.Variable<number[]>).value]), count])",
      ].join("\n"),
    );
    assert.equal(shown, `'${JSON.stringify([[["bias", [3]], ["kernel", [2, 3]]], 3 + 6])}'`);
    const error = await nb.error("const wrong: number = jax.tree.map((x: jax.Array) => x.shape, nnx.state(model));");
    assert.match(error.traceback[0]!, /TS2322: Type 'State' is not assignable to type 'number'/);
  });
});
