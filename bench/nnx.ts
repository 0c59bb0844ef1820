/**
 * NNX core overheads, each against a baseline measured in the same run:
 * - evalShape of a 1.07e9-parameter model vs jax-js makeJaxpr of the same
 *   array constructions (goal: < 2x; both allocate nothing),
 * - split + merge of a 256-layer model vs jax-js tree flatten + unflatten of
 *   an equivalent plain tree of the same arrays (the bookkeeping cost),
 * - nnx.jit forward of an MLP vs the eager call and vs jax-js jit of the same
 *   function on plain arrays (goal: nnx.jit within 1.5x of plain jit),
 * - an Rngs stream call vs jax-js random.split (the key derivation).
 * Prints a markdown table of medians.
 *
 *   npx tsx bench/nnx.ts            (BENCH_REPEATS=15)
 */
import "../src/runtime/globals.js";
import * as jax from "@jax-js/jax";
import * as nnx from "../src/nnx/index.js";
import { initRuntime } from "../src/runtime/index.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const np = jax.numpy;
const runtime = await initRuntime();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeMs(fn: () => unknown | Promise<unknown>): Promise<number> {
  // Warm up for 300 ms and 30 calls (compiles, caches, and V8's optimising tiers for the JS bookkeeping:
  // on the loaded machine 300 ms alone could end after a dozen still-unoptimised calls).
  const warmUntil = performance.now() + 300;
  for (let calls = 0; calls < 30 || performance.now() < warmUntil; calls++) await fn();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

class Dense extends nnx.Module {
  kernel: nnx.Param;
  bias: nnx.Param;
  constructor(din: number, dout: number, rngs: nnx.Rngs) {
    super();
    this.kernel = new nnx.Param(jax.random.normal(rngs.params(), [din, dout]));
    this.bias = new nnx.Param(np.zeros([dout]));
  }
  call(x: jax.Array): jax.Array {
    return np.tanh(np.matmul(x, this.kernel.value).add(this.bias.value));
  }
}

class Stack extends nnx.Module {
  layers: Dense[];
  constructor(depth: number, width: number, rngs: nnx.Rngs) {
    super();
    this.layers = Array.from({ length: depth }, () => new Dense(width, width, rngs));
  }
  call(x: jax.Array): jax.Array {
    return this.layers.reduce((h, layer) => layer.call(h), x);
  }
}

const rows: [string, number, string, number][] = [];

// 1. evalShape vs makeJaxpr of the same constructions.
const huge = () => new Stack(16, 8192, new nnx.Rngs(0));
const evalShapeMs = await timeMs(() => nnx.evalShape(huge));
const makeJaxprMs = await timeMs(() => {
  const traced = jax.makeJaxpr(() => {
    let key = jax.random.key(0);
    const out: jax.Array[] = [];
    for (let i = 0; i < 16; i++) {
      const [a, b] = np.split(jax.random.split(key, 2), 2);
      key = a!.reshape([2]);
      out.push(jax.random.normal(b!.reshape([2]), [8192, 8192]), np.zeros([8192]));
    }
    key.dispose();
    return out;
  })();
  traced.jaxpr.dispose();
});
rows.push(["evalShape, 1.07e9 params", evalShapeMs, "makeJaxpr of the same arrays", makeJaxprMs]);

// 2. split + merge vs tree flatten + unflatten.
const deep = new Stack(256, 4, new nnx.Rngs(0));
const splitMergeMs = await timeMs(() => nnx.merge(...nnx.split(deep)));
const plain = { layers: deep.layers.map((l) => ({ kernel: l.kernel.raw, bias: l.bias.raw })) };
const treeMs = await timeMs(() => {
  const [leaves, def] = jax.tree.flatten(plain);
  jax.tree.unflatten(def, leaves);
});
rows.push(["split + merge, 256 layers", splitMergeMs, "jax.tree flatten + unflatten", treeMs]);

// 3. jit forward.
const mlp = new Stack(4, 256, new nnx.Rngs(0));
const x = np.ones([64, 256]);
const forward = nnx.jit((m: Stack, xs: jax.Array) => m.call(xs));
const nnxJitMs = await timeMs(async () => void (await forward(mlp, x.ref).data()));
const weights = mlp.layers.map((l) => [l.kernel.value, l.bias.value] as [jax.Array, jax.Array]);
const plainJit = jax.jit((ws: [jax.Array, jax.Array][], xs: jax.Array) => ws.reduce((h, [k, b]) => np.tanh(np.matmul(h, k).add(b)), xs));
const plainJitMs = await timeMs(async () => void (await plainJit(jax.tree.ref(weights), x.ref).data()));
const eagerMs = await timeMs(async () => void (await mlp.call(x.ref).data()));
rows.push(["nnx.jit MLP 4x256, batch 64", nnxJitMs, "jax.jit on plain arrays", plainJitMs]);
rows.push(["eager MLP call", eagerMs, "jax.jit on plain arrays", plainJitMs]);

// 4. Rng stream call vs random.split.
const rngs = new nnx.Rngs(0);
const streamMs = await timeMs(async () => void (await rngs.default().data()));
const key = jax.random.key(0);
const splitMs = await timeMs(async () => void (await jax.random.split(key.ref, 2).data()));
rows.push(["rngs.default() + read", streamMs, "random.split(key) + read", splitMs]);

console.log(`device: ${runtime.device}, repeats: ${REPEATS} (median ms)\n`);
console.log("| measurement | ms | baseline | ms | ratio |\n|---|---|---|---|---|");
for (const [name, ms, base, baseMs] of rows) console.log(`| ${name} | ${ms.toFixed(2)} | ${base} | ${baseMs.toFixed(2)} | ${(ms / baseMs).toFixed(2)}x |`);
forward.dispose();
plainJit.dispose();
