import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { describeEachDevice } from "../helpers/devices.js";
import { Counter, TinyLinear, read, valueOf } from "./fixtures.js";

const np = jax.numpy;

class Tied extends nnx.Module {
  encoder: TinyLinear;
  decoder: TinyLinear;
  layers: TinyLinear[];
  constructor() {
    super();
    this.encoder = new TinyLinear([[1, 2]], [3, 4]);
    this.decoder = this.encoder; // the same module reachable twice
    this.layers = [new TinyLinear([[5]], [6]), new TinyLinear([[7]], [8])];
  }
}

class SharedKernel extends nnx.Module {
  a: TinyLinear;
  b: TinyLinear;
  constructor() {
    super();
    this.a = new TinyLinear([[1]], [0]);
    this.b = new TinyLinear([[2]], [0]);
    this.b.kernel = this.a.kernel; // tied weight: one Variable in two modules
  }
}

describeEachDevice("nnx graph: split / merge", () => {
  it("puts a shared module in the state once and shares it again after merge", async () => {
    const model = new Tied();
    const [graphdef, state] = nnx.split(model);
    // Flax walks attributes in key order: the shared module's first path is "decoder".
    assert.deepEqual(state.keys(), ["decoder", "layers"]);
    const merged = nnx.merge<Tied>(graphdef, state);
    assert.ok(merged instanceof Tied);
    assert.equal(merged.decoder, merged.encoder);
    assert.notEqual(merged, model);
    // Flax >= 0.11: the state holds the model's Variables, and merge uses them.
    assert.equal(merged.encoder.kernel, model.encoder.kernel);
    assert.deepEqual(await valueOf(merged.decoder.bias), [3, 4]);
  });

  it("puts a tied Variable in the state once (first path in key order) and ties it again", () => {
    const model = new SharedKernel();
    const [graphdef, state] = nnx.split(model);
    assert.deepEqual(state.flatState().map(([p]) => p.join(".")), ["a.bias", "a.kernel", "b.bias"]);
    const merged = nnx.merge<SharedKernel>(graphdef, state);
    assert.equal(merged.a.kernel, merged.b.kernel);
  });

  it("keys list nodes by integer position", async () => {
    const [, state] = nnx.split(new Tied());
    const layers = state.get("layers") as nnx.State;
    assert.deepEqual(layers.keys(), [0, 1]);
    assert.equal(layers.has("0"), false);
    assert.deepEqual(await valueOf(state.at("layers", 1, "bias")), [8]);
    const paths = state.flatState().map(([p]) => p);
    assert.deepEqual(paths[2], ["layers", 0, "bias"]);
  });

  it("merge with a state that does not fit names the missing and extra paths", () => {
    const [graphdef, state] = nnx.split(new TinyLinear([[1]], [2]));
    const kernelOnly = state.filter((path) => path[0] === "kernel");
    assert.throws(() => nnx.merge(graphdef, kernelOnly), /missing 1: bias/);
    const extra = nnx.State.merge(state, new nnx.State([["scale", new nnx.Param(1)]]));
    assert.throws(() => nnx.merge(graphdef, extra), /extra 1: scale/);
  });

  it("merge finds misfits deep in the tree: a leaf where a subtree belongs, a subtree where a leaf belongs, an extra leaf under a node", () => {
    const model = new Tied();
    const [graphdef, state] = nnx.split(model);
    const leafForNode = nnx.fromFlatState([...state.flatState().filter(([p]) => !(p[0] === "layers" && p[1] === 1)), [["layers", 1], new nnx.Param(0)]]);
    assert.throws(() => nnx.merge(graphdef, leafForNode), /missing 2: layers\.1\.bias, layers\.1\.kernel; extra 1: layers\.1\)/);
    const nodeForLeaf = nnx.fromFlatState([...state.flatState().filter(([p]) => p.join(".") !== "decoder.bias"), [["decoder", "bias", "inner"], new nnx.Param(0)]]);
    assert.throws(() => nnx.merge(graphdef, nodeForLeaf), /missing 1: decoder\.bias; extra 1: decoder\.bias\.inner\)/);
    const extraDeep = nnx.fromFlatState([...state.flatState(), [["layers", 0, "scale"], new nnx.Param(0)]]);
    assert.throws(() => nnx.merge(graphdef, extraDeep), /^Error: merge: the state does not fit the graphdef \(extra 1: layers\.0\.scale\)$/);
    const key0AsString = nnx.fromFlatState(state.flatState().map(([p, v]) => [p.map((k) => (k === 0 ? "0" : k)), v] as const));
    assert.throws(() => nnx.merge(graphdef, key0AsString), /missing 2: layers\.0\.bias, layers\.0\.kernel; extra 2: layers\.0\.bias, layers\.0\.kernel/);
    const merged = nnx.merge<Tied>(graphdef, state);
    assert.equal(merged.decoder, merged.encoder, "sharing survives the side-by-side walk");
    assert.equal(merged.layers[1]!.kernel, model.layers[1]!.kernel);
  });

  it("merges several states (e.g. params and the rest)", () => {
    const model = new Counter();
    const [graphdef, params, rest] = nnx.split(model, nnx.Param, nnx.Everything);
    assert.equal(params.size, 0);
    assert.deepEqual(rest.keys(), ["calls"]);
    const merged = nnx.merge<Counter>(graphdef, params, rest);
    assert.equal(merged.calls, model.calls);
    assert.equal(merged.deterministic, false, "static attributes come back from the graphdef");
  });

  it("wraps raw values in the Variable class and metadata the graphdef recorded", async () => {
    const model = new TinyLinear([[1]], [2]);
    model.kernel.metadata.sharding = ["a"];
    const [graphdef, state] = nnx.split(model);
    const raw = state.map((_path, leaf) => (leaf as nnx.Variable).value);
    const merged = nnx.merge<TinyLinear>(graphdef, raw);
    assert.ok(merged.kernel instanceof nnx.Param);
    assert.deepEqual(merged.kernel.metadata, { sharding: ["a"] });
    assert.deepEqual(await valueOf(merged.kernel), [[1]]);
  });

  it("handles model surgery: a bias added after construction", async () => {
    class NoBias extends nnx.Module {
      kernel = new nnx.Param(np.array([[2]]));
      bias?: nnx.Param;
    }
    const model = new NoBias();
    assert.deepEqual(nnx.state(model).keys(), ["kernel"]);
    model.bias = new nnx.Param(np.array([1]));
    const [graphdef, state] = nnx.split(model);
    assert.deepEqual(state.keys(), ["bias", "kernel"]);
    const merged = nnx.merge<NoBias>(graphdef, state);
    assert.deepEqual(await valueOf(merged.bias), [1]);
    // and a layer appended to a list
    const stack = new Tied();
    stack.layers.push(new TinyLinear([[9]], [10]));
    const [def2, state2] = nnx.split(stack);
    assert.deepEqual((state2.get("layers") as nnx.State).keys(), [0, 1, 2]);
    assert.equal(nnx.merge<Tied>(def2, state2).layers.length, 3);
  });

  it("keeps attribute order and static attributes through merge, and callable nodes stay callable", () => {
    const rngs = new nnx.Rngs({ params: 0 });
    const [graphdef, state] = nnx.split(rngs);
    const merged = nnx.merge<nnx.Rngs>(graphdef, state);
    assert.equal(typeof merged.params, "function");
    assert.ok(merged.params instanceof nnx.RngStream);
    const model = new TinyLinear([[1]], [2]);
    const back = nnx.merge<TinyLinear>(...nnx.split(model));
    assert.deepEqual(Object.keys(back), Object.keys(model));
    assert.equal(back.inFeatures, 1);
  });

  it("clone copies nodes and Variables, keeping sharing inside the copy", async () => {
    const model = new SharedKernel();
    const copy = nnx.clone(model);
    assert.notEqual(copy.a.kernel, model.a.kernel);
    assert.equal(copy.a.kernel, copy.b.kernel);
    copy.a.kernel.value = np.array([[42]]);
    assert.deepEqual(await valueOf(model.a.kernel), [[1]], "the original is independent");
  });

  it("graphdef equals what split gives and state() with one filter returns a State", () => {
    const model = new Counter();
    assert.equal(String(nnx.graphdef(model)), String(nnx.split(model)[0]));
    const stats = nnx.state(model, nnx.BatchStat);
    assert.ok(stats instanceof nnx.State);
    const [params, batch] = nnx.state(model, nnx.Param, nnx.BatchStat);
    assert.equal(params!.size, 0);
    assert.equal(batch!.size, 1);
  });

  it("iterGraph yields every node and Variable once with its path", () => {
    const model = new Tied();
    const seen = [...nnx.iterGraph(model)].map(([path, value]) => [path.join("."), value?.constructor.name]);
    assert.deepEqual(seen, [
      ["", "Tied"],
      ["decoder", "TinyLinear"],
      ["decoder.bias", "Param"],
      ["decoder.kernel", "Param"],
      ["layers", "Array"],
      ["layers.0", "TinyLinear"],
      ["layers.0.bias", "Param"],
      ["layers.0.kernel", "Param"],
      ["layers.1", "TinyLinear"],
      ["layers.1.bias", "Param"],
      ["layers.1.kernel", "Param"],
    ]);
  });

  it("split of something that is not a graph node is a clear error", () => {
    assert.throws(() => nnx.split(3), /expected a graph node .* got 3/);
    assert.throws(() => nnx.split({ a: 1 }), /expected a graph node/);
  });
});

describeEachDevice("nnx graph: update", () => {
  it("writes a State's values into the model (new references; the source stays valid)", async () => {
    const model = new TinyLinear([[1, 2]], [3, 4]);
    const other = new TinyLinear([[5, 6]], [7, 8]);
    nnx.update(model, nnx.state(other));
    assert.deepEqual(await valueOf(model.kernel), [[5, 6]]);
    assert.deepEqual(await valueOf(other.kernel), [[5, 6]]);
    assert.notEqual(model.kernel, other.kernel);
  });

  it("accepts a pure dict, with '0' finding list position 0", async () => {
    const model = new Tied();
    nnx.update(model, { layers: { "0": { bias: np.array([60]) } } });
    assert.deepEqual(await valueOf(model.layers[0]!.bias), [60]);
  });

  it("checks everything before writing: a bad entry leaves the model untouched", async () => {
    const model = new TinyLinear([[1, 2]], [3, 4]);
    const bad = { bias: np.array([9, 9]), kernel: np.array([[1, 2, 3]]) };
    assert.throws(() => nnx.update(model, bad), /shape mismatch at kernel: the state has \[1,2\] \(float32\), the new value \[1,3\] \(float32\)/);
    assert.deepEqual(await valueOf(model.bias), [3, 4], "bias was not written");
    const dtypeBad = { bias: np.array([1, 2], { dtype: np.int32 }) };
    assert.throws(() => nnx.update(model, dtypeBad), /dtype mismatch at bias: the state has float32\[2\], the new value int32\[2\]/);
    assert.throws(() => nnx.update(model, { nope: np.array([1]) }), /the graph has no Variable at nope/);
    assert.deepEqual(await read(model.call(np.array([[1]]))), [[4, 6]]);
  });

  it("adds a Variable at a new path (model surgery through update)", async () => {
    class NoBias extends nnx.Module {
      kernel = new nnx.Param(np.array([[2]]));
    }
    const model = new NoBias();
    nnx.update(model, new nnx.State([["bias", new nnx.Param(np.array([1]))]]));
    assert.deepEqual(await valueOf((model as unknown as { bias: nnx.Param }).bias), [1]);
  });
});
