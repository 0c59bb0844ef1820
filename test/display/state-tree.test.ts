import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { nnx, optax } from "../../src/index.js";
import { STATE_TREE_MIME, stateTree, type StateTreeBundle } from "../../src/display/index.js";

const np = jax.numpy;

class MLP extends nnx.Module {
  linear1: nnx.Linear;
  bn: nnx.BatchNorm;
  linear2: nnx.Linear;
  constructor(din: number, dmid: number, dout: number, rngs: nnx.Rngs) {
    super();
    this.linear1 = new nnx.Linear(din, dmid, { rngs });
    this.bn = new nnx.BatchNorm(dmid, { rngs });
    this.linear2 = new nnx.Linear(dmid, dout, { rngs });
  }
}

class Stack extends nnx.Module {
  layers: nnx.Linear[];
  constructor(n: number, rngs: nnx.Rngs) {
    super();
    this.layers = Array.from({ length: n }, () => new nnx.Linear(8, 8, { rngs }));
  }
}

/** A module whose arrays are known element by element. */
class Tiny extends nnx.Module {
  w: nnx.Param<jax.Array>;
  b: nnx.BatchStat<jax.Array>;
  name: string;
  constructor() {
    super();
    this.w = new nnx.Param(np.array([[1, -2], [0, 3]], { dtype: np.float32 }));
    this.b = new nnx.BatchStat(np.array([1, 2, 3], { dtype: np.float32 }));
    this.name = "t";
  }
}

const linearParams = (din: number, dout: number): number => din * dout + dout;
const tagsOf = (html: string): Set<string> => new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));

describe("display: state tree", () => {
  let mlp: MLP;
  let bundle: StateTreeBundle;
  before(async () => {
    mlp = new MLP(4, 16, 2, new nnx.Rngs(0));
    bundle = await stateTree(mlp);
  });

  it("returns html, plain text and the summary as data under a type no front end draws over the HTML", () => {
    assert.equal(STATE_TREE_MIME, "application/vnd.tsnnx.state-tree+json");
    assert.deepEqual(Object.keys(bundle).sort(), [STATE_TREE_MIME, "text/html", "text/plain"]);
    assert.equal(typeof bundle["text/html"], "string");
    assert.equal(typeof bundle["text/plain"], "string");
    assert.equal(bundle[STATE_TREE_MIME].type, "MLP");
  });

  it("counts parameters and bytes per kind and subtree as Linear and BatchNorm define them", () => {
    // Linear(din, dout): kernel din*dout + bias dout; BatchNorm(n): scale, bias (Param) and mean, var (BatchStat), n each; float32 = 4 bytes.
    const params = linearParams(4, 16) + 2 * 16 + linearParams(16, 2);
    const stats = 2 * 16;
    const json = bundle[STATE_TREE_MIME];
    assert.deepEqual(json.totals, { Param: { count: params, bytes: 4 * params }, BatchStat: { count: stats, bytes: 4 * stats } });
    assert.deepEqual(json.total, { count: params + stats, bytes: 4 * (params + stats) });
    assert.equal(json.leaves.length, 8);
    const kernel = json.leaves.find((l) => l.pathText === "linear1.kernel")!;
    assert.deepEqual([kernel.kind, kernel.shape, kernel.dtype, kernel.count, kernel.bytes], ["Param", [4, 16], "float32", 64, 256]);
    const lines = bundle["text/plain"].split("\n");
    assert.equal(lines[0], `MLP  # Param: ${params} (${4 * params} B), BatchStat: ${stats} (${4 * stats} B), Total: ${params + stats} (${4 * (params + stats)} B)`);
    assert.ok(lines.some((l) => l.startsWith(`├── linear1: Linear  # Param: ${linearParams(4, 16)} (${4 * linearParams(4, 16)} B)`)));
    assert.ok(bundle["text/html"].includes(`# Param: ${linearParams(16, 2)} (${4 * linearParams(16, 2)} B)`));
  });

  it("statistics match values worked out by hand, NaN and Inf counted apart", async () => {
    const tiny = new Tiny();
    const json = (await stateTree(tiny))[STATE_TREE_MIME];
    // w = [1, -2, 0, 3]: mean 0.5; squared deviations .25 + 6.25 + .25 + 6.25 = 13, /4 = 3.25.
    assert.deepEqual(json.leaves[0]!.stats, { mean: 0.5, std: Math.sqrt(3.25), min: -2, max: 3, nonzero: 3, nan: 0, inf: 0, read: 4, size: 4, sampled: false });
    const odd = new nnx.Param(np.array([1, NaN, Infinity, 0, -Infinity, 3], { dtype: np.float32 }));
    const oddStats = (await stateTree(odd))[STATE_TREE_MIME].leaves[0]!.stats;
    // finite: 1, 0, 3 -> mean 4/3, deviations -1/3, -4/3, 5/3 -> squares (1 + 16 + 25)/9 / 3 = 14/9.
    assert.ok(oddStats && "mean" in oddStats);
    assert.ok(Math.abs(oddStats.mean! - 4 / 3) < 1e-6);
    assert.ok(Math.abs(oddStats.std! - Math.sqrt(14 / 9)) < 1e-6);
    assert.deepEqual([oddStats.min, oddStats.max, oddStats.nan, oddStats.inf, oddStats.nonzero], [0, 3, 1, 2, 5]);
    assert.match((await stateTree(odd))["text/plain"], /nan:1 inf:2/);
  });

  it("a leaf over the exact limit gets stats from an evenly strided sample, and says so", async () => {
    const v = new nnx.Param(np.arange(10).astype(np.float32));
    const b = await stateTree(v, { exactLimit: 4, sampleSize: 5 });
    // stride floor(10 / 5) = 2: elements 0, 2, 4, 6, 8.
    const s = b[STATE_TREE_MIME].leaves[0]!.stats!;
    assert.ok("mean" in s);
    assert.deepEqual([s.mean, s.min, s.max, s.read, s.size, s.sampled], [4, 0, 8, 5, 10, true]);
    assert.match(b["text/plain"], /sampled 5 of 10/);
  });

  it("formats the stats line as Treescope does", async () => {
    const text = (await stateTree(new Tiny()))["text/plain"];
    assert.match(text, /w: Param float32\[2,2\] on \S+ ≈0\.5 ±1\.8 \[≥-2\.0, ≤3\.0\] nonzero:3/);
  });

  it("draws the text tree with box-drawing characters", async () => {
    const tiny = new Tiny();
    const device = String(tiny.w.value.device);
    const text = (await stateTree(tiny, { stats: false }))["text/plain"];
    assert.equal(
      text,
      [
        "Tiny  # Param: 4 (16 B), BatchStat: 3 (12 B), Total: 7 (28 B)",
        `├── w: Param float32[2,2] on ${device}  # 4 (16 B)`,
        `├── b: BatchStat float32[3] on ${device}  # 3 (12 B)`,
        '└── name="t"',
      ].join("\n"),
    );
    const nested = (await stateTree(mlp, { stats: false }))["text/plain"].split("\n");
    assert.ok(nested.includes(`│   ├── kernel: Param float32[4,16] on ${device}  # 64 (256 B)`));
    assert.ok(nested.some((l) => l.startsWith("└── linear2: Linear")));
    assert.ok(nested.some((l) => l.startsWith("    ├── kernel: Param float32[16,2]")));
  });

  it("reads arrays without consuming them", async () => {
    const tiny = new Tiny();
    // `raw` borrows (`value` would add a reference of its own).
    const before = [tiny.w.raw.refCount, tiny.b.raw.refCount];
    await stateTree(tiny);
    await stateTree(tiny);
    assert.deepEqual([tiny.w.raw.refCount, tiny.b.raw.refCount], before);
    assert.deepEqual(await tiny.w.value.ref.jsAsync(), [[1, -2], [0, 3]]);
  });

  it("abstract states (nnx.evalShape) show shapes, counts and bytes, and no stats", async () => {
    const abstract = nnx.evalShape(() => new MLP(4, 16, 2, new nnx.Rngs(0)));
    const b = await stateTree(abstract);
    const json = b[STATE_TREE_MIME];
    assert.deepEqual(json.totals, bundle[STATE_TREE_MIME].totals);
    assert.ok(json.leaves.every((l) => l.state === "abstract" && l.stats === undefined));
    assert.deepEqual(json.leaves.find((l) => l.pathText === "linear2.kernel")!.shape, [16, 2]);
    assert.ok(!b["text/plain"].includes("≈"));
    const state = await stateTree(nnx.state(abstract));
    assert.deepEqual(state[STATE_TREE_MIME].total, bundle[STATE_TREE_MIME].total);
  });

  it("marks a shared module once, counting it once", async () => {
    class Tied extends nnx.Module {
      a: nnx.Linear;
      b: nnx.Linear;
      constructor(rngs: nnx.Rngs) {
        super();
        this.a = new nnx.Linear(2, 3, { rngs });
        this.b = this.a;
      }
    }
    const b = await stateTree(new Tied(new nnx.Rngs(0)));
    const json = b[STATE_TREE_MIME];
    assert.deepEqual(json.total, { count: linearParams(2, 3), bytes: 4 * linearParams(2, 3) });
    assert.deepEqual(json.shared, [{ path: ["b"], sameAs: ["a"] }]);
    assert.equal(b["text/html"].split("shared: same as a").length, 2);
    assert.ok(b["text/plain"].includes("b: Linear (shared: same as a)"));
  });

  it("names from user code never inject markup", async () => {
    const evil = "<script>alert(\"x\")</script>";
    const m = new Tiny() as unknown as Record<string, unknown>;
    m[evil] = new nnx.Param(np.array([1, 2], { dtype: np.float32 }));
    m["a\"b'c&d"] = new nnx.BatchStat(np.array([1], { dtype: np.float32 }));
    m["label"] = "<img src=x onerror=alert(1)>";
    const html = (await stateTree(m))["text/html"];
    assert.ok(!html.includes("<script"));
    assert.ok(!html.includes("<img src=x"));
    // Text between tags escapes & < > (quotes cannot end anything there); the one attribute holding text escapes quotes too.
    assert.ok(html.includes('&lt;script&gt;alert("x")&lt;/script&gt;'));
    assert.ok(html.includes("<dfn>a\"b'c&amp;d</dfn>"));
    assert.ok(html.includes('label="&lt;img src=x onerror=alert(1)&gt;"'));
    const allowed = new Set(["div", "style", "details", "summary", "ul", "li", "dfn", "var", "b", "i", "small", "span", "img"]);
    for (const tag of tagsOf(html)) assert.ok(allowed.has(tag), `unexpected tag <${tag}>`);
  });

  it("works without script: nested details/summary, the root open", () => {
    const html = bundle["text/html"];
    assert.ok(html.includes("<details open><summary>"));
    assert.equal(html.split("<details").length, html.split("</details>").length);
    assert.ok(!tagsOf(html).has("script"));
  });

  it("shows Variables, Optimizers, GraphDefs and arrays", async () => {
    const variable = await stateTree(new nnx.Param(np.array([1, 2, 3], { dtype: np.float32 })));
    assert.deepEqual(variable[STATE_TREE_MIME].total, { count: 3, bytes: 12 });
    const optimizer = new nnx.Optimizer(new MLP(4, 16, 2, new nnx.Rngs(0)), optax.adam(1e-3));
    const opt = await stateTree(optimizer);
    assert.equal(opt[STATE_TREE_MIME].type, "Optimizer");
    // The optimizer's own state: its step (1), adam's count (1), and mu and nu mirroring every Param (the model is not an attribute).
    const params = linearParams(4, 16) + 2 * 16 + linearParams(16, 2);
    assert.equal(opt[STATE_TREE_MIME].total.count, 1 + 1 + 2 * params);
    const [graphdef] = nnx.split(mlp);
    const def = await stateTree(graphdef);
    assert.match(def["text/plain"], /^GraphDef\[MLP\]/);
    assert.ok(def["text/plain"].includes("kernel: Param (value in the State)"));
    const array = await stateTree(np.array([[1, 2], [3, 4]], { dtype: np.int32 }));
    assert.deepEqual(array[STATE_TREE_MIME].total, { count: 4, bytes: 16 });
  });

  it("is what display() shows (the Jupyter.display method)", async () => {
    const method = (mlp as unknown as Record<symbol, () => Promise<StateTreeBundle>>)[Symbol.for("Jupyter.display")]!;
    const shown = await method.call(mlp);
    assert.equal(shown["text/plain"], bundle["text/plain"]);
  });

  it("rejects what it cannot show, naming it", async () => {
    await assert.rejects(stateTree(42), /stateTree: cannot show 42/);
  });

  it("keeps 1,000 leaves under 200 KiB of HTML, every leaf still there", async function () {
    this.timeout(120_000);
    const stack = new Stack(500, new nnx.Rngs(0));
    const b = await stateTree(stack);
    const bytes = Buffer.byteLength(b["text/html"]);
    assert.ok(bytes < 200 * 1024, `${bytes} bytes`);
    assert.equal(b[STATE_TREE_MIME].leaves.length, 1000);
    assert.equal(b[STATE_TREE_MIME].total.count, 500 * linearParams(8, 8));
  });
  it("summarises past the row budget: 10,000 leaves under 1 MB, totals still complete", async () => {
    // Host data: concrete at once (jax-js's random arrays are lazy, and 10,000 of them are slow to make).
    const leaves = Array.from({ length: 5000 }, (_, i) => [
      [["layers", i, "kernel"], new nnx.Param(np.array(Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j)), { dtype: np.float32 }).reshape([8, 8]))],
      [["layers", i, "bias"], new nnx.Param(np.array(Float32Array.from({ length: 8 }, (_, j) => Math.cos(i * 8 + j)), { dtype: np.float32 }))],
    ] as const).flat();
    const b = await stateTree(nnx.fromFlatState(leaves));
    const bytes = Buffer.byteLength(b["text/html"]);
    assert.ok(bytes < 1024 * 1024, `${bytes} bytes`);
    const json = b[STATE_TREE_MIME];
    assert.deepEqual(json.totals, { Param: { count: 5000 * linearParams(8, 8), bytes: 4 * 5000 * linearParams(8, 8) } });
    assert.equal(json.leaves.length + json.leavesOmitted, 10_000);
    assert.ok(json.leavesOmitted > 0);
    assert.match(b["text/plain"], /… [\d,]+ more \(\d+ … 4999: State ×[\d,]+; not expanded, over the display budget\)  # Param: [\d,]+/);
  });
});
