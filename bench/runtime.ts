/**
 * Runtime benchmark: `npx tsx bench/runtime.ts` (add `--quick` for fewer repetitions).
 *
 * 1. One Adam training step of an MLP 784-512-512-10 (batch 128) written with
 *    nnx.Module + nnx.Optimizer + nnx.valueAndGrad, against the same step in
 *    plain jax-js (valueAndGrad over a list of arrays + Adam by hand). Goal:
 *    ratio <= 1.05. Also both under jit (nnx.jit vs jax.jit), for information.
 * 2. f32 matmul GFLOP/s at 512 and 1024 on each initialised device; wasm with
 *    every core here and with one thread in a child process (TSNNX_THREADS=1).
 * 3. nnx.evalShape of a ~1e9-parameter transformer: ms and RSS growth. Goals:
 *    < 100 ms, < 50 MB.
 *
 * Every figure is a median over repetitions after warm-up; the training
 * variants alternate so load on the machine hits them alike. Beside wall time
 * the process CPU time (all threads) is given: on a shared, loaded machine it
 * tracks the work done far better than wall time does.
 */
import { initRuntime, jax, nnx, np, optax } from "../src/index.js";
import { spawnSync } from "node:child_process";
import v8 from "node:v8";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const quick = process.argv.includes("--quick");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------- 2. matmul ----------

async function matmulGflops(n: number, reps: number): Promise<number> {
  const a = jax.random.normal(jax.random.key(1), [n, n]);
  const b = jax.random.normal(jax.random.key(2), [n, n]);
  await jax.blockUntilReady([a, b]);
  const once = async () => {
    const t = performance.now();
    const c = np.matmul(a.ref, b.ref);
    await jax.blockUntilReady(c);
    const ms = performance.now() - t;
    c.dispose();
    return ms;
  };
  await once();
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

async function matmulRows(label: string, device: "wasm" | "webgpu"): Promise<string[]> {
  jax.defaultDevice(device);
  const reps = quick ? 3 : 7;
  return [`| ${label} | ${(await matmulGflops(512, reps)).toFixed(1)} | ${(await matmulGflops(1024, reps)).toFixed(1)} |`];
}

// ---------- 1. training step ----------

class MLP extends nnx.Module {
  layers: nnx.Linear[];
  constructor(sizes: number[], rngs: nnx.Rngs) {
    super();
    this.layers = sizes.slice(1).map((out, i) => new nnx.Linear(sizes[i]!, out, { rngs }));
  }
  call(x: jax.Array): jax.Array {
    this.layers.forEach((layer, i) => {
      x = layer.call(x);
      if (i < this.layers.length - 1) x = nnx.relu(x);
    });
    return x;
  }
}

const crossEntropy = (logits: jax.Array, labels: jax.Array) => np.mean(np.sum(nnx.logSoftmax(logits, -1).mul(labels), [-1])).neg();

interface TrainVariant {
  step(): jax.Array;
  dispose(): void;
}

function nnxVariant(x: jax.Array, labels: jax.Array): TrainVariant {
  const model = new MLP([784, 512, 512, 10], new nnx.Rngs(0));
  const optimizer = new nnx.Optimizer(model, optax.adam(1e-3));
  const loss = (m: MLP, input: jax.Array, y: jax.Array) => crossEntropy(m.call(input), y);
  return {
    step() {
      const [value, grads] = nnx.valueAndGrad(loss)(model, x.ref, labels.ref);
      optimizer.update(model, grads as nnx.State);
      return value as jax.Array;
    },
    dispose() {
      for (const [, v] of nnx.state([model, optimizer]).flatState()) (v as nnx.Variable).dispose();
    },
  };
}

/** The same network and update, in plain jax-js: params are a list [w1, b1, w2, b2, w3, b3]. */
function plainVariant(x: jax.Array, labels: jax.Array): TrainVariant {
  const model = new MLP([784, 512, 512, 10], new nnx.Rngs(0)); // same initial values
  let params = model.layers.flatMap((l) => [l.kernel.value, l.bias!.value]);
  for (const l of model.layers) {
    l.kernel.dispose();
    l.bias!.dispose();
  }
  let mu = params.map((p) => np.zeros(p.shape));
  let nu = params.map((p) => np.zeros(p.shape));
  let t = 0;
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
  const forward = (ps: jax.Array[], input: jax.Array, y: jax.Array) => {
    let h = input;
    for (let i = 0; i < ps.length; i += 2) {
      h = np.matmul(h, ps[i]!).add(ps[i + 1]!);
      if (i + 2 < ps.length) h = nnx.relu(h);
    }
    return crossEntropy(h, y);
  };
  const valueAndGrad = jax.valueAndGrad(forward);
  return {
    step() {
      t++;
      const [value, grads] = valueAndGrad(params.map((p) => p.ref), x.ref, labels.ref);
      mu = mu.map((m, i) => m.mul(b1).add(grads[i]!.ref.mul(1 - b1)));
      nu = nu.map((v, i) => v.mul(b2).add(np.square(grads[i]!).mul(1 - b2)));
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      params = params.map((p, i) => p.sub(mu[i]!.ref.div(c1).div(np.sqrt(nu[i]!.ref.div(c2)).add(eps)).mul(lr)));
      return value;
    },
    dispose() {
      jax.tree.dispose([params, mu, nu]);
    },
  };
}

/** The nnx step under nnx.jit. */
function nnxJitVariant(x: jax.Array, labels: jax.Array): TrainVariant {
  const model = new MLP([784, 512, 512, 10], new nnx.Rngs(0));
  const optimizer = new nnx.Optimizer(model, optax.adam(1e-3));
  const loss = (m: MLP, input: jax.Array, y: jax.Array) => crossEntropy(m.call(input), y);
  const step = nnx.jit((m: MLP, o: nnx.Optimizer, input: jax.Array, y: jax.Array) => {
    const [value, grads] = nnx.valueAndGrad(loss)(m, input, y);
    o.update(m, grads as nnx.State);
    return value as jax.Array;
  });
  return {
    step: () => step(model, optimizer, x.ref, labels.ref),
    dispose() {
      step.dispose();
      for (const [, v] of nnx.state([model, optimizer]).flatState()) (v as nnx.Variable).dispose();
    },
  };
}

/** The plain step under jax.jit: state in, state out; the step count is an array so one program serves every step. */
function plainJitVariant(x: jax.Array, labels: jax.Array): TrainVariant {
  const model = new MLP([784, 512, 512, 10], new nnx.Rngs(0));
  let params = model.layers.flatMap((l) => [l.kernel.value, l.bias!.value]);
  for (const l of model.layers) {
    l.kernel.dispose();
    l.bias!.dispose();
  }
  let mu = params.map((p) => np.zeros(p.shape));
  let nu = params.map((p) => np.zeros(p.shape));
  let count = np.array(0, { dtype: np.int32 });
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
  const forward = (ps: jax.Array[], input: jax.Array, y: jax.Array) => {
    let h = input;
    for (let i = 0; i < ps.length; i += 2) {
      h = np.matmul(h, ps[i]!).add(ps[i + 1]!);
      if (i + 2 < ps.length) h = nnx.relu(h);
    }
    return crossEntropy(h, y);
  };
  const step = jax.jit((ps: jax.Array[], ms: jax.Array[], vs: jax.Array[], c: jax.Array, input: jax.Array, y: jax.Array) => {
    const [value, grads] = jax.valueAndGrad(forward)(ps.map((p) => p.ref), input, y);
    const next = c.add(1);
    const t = next.ref.astype(np.float32);
    const c1 = np.power(b1, t.ref).neg().add(1);
    const c2 = np.power(b2, t).neg().add(1);
    const m2 = ms.map((m, i) => m.mul(b1).add(grads[i]!.ref.mul(1 - b1)));
    const v2 = vs.map((v, i) => v.mul(b2).add(np.square(grads[i]!).mul(1 - b2)));
    const p2 = ps.map((p, i) => p.sub(m2[i]!.ref.div(c1.ref).div(np.sqrt(v2[i]!.ref.div(c2.ref)).add(eps)).mul(lr)));
    c1.dispose();
    c2.dispose();
    return [value, p2, m2, v2, next] as [jax.Array, jax.Array[], jax.Array[], jax.Array[], jax.Array];
  });
  return {
    step() {
      const [value, p2, m2, v2, next] = step(params, mu, nu, count, x.ref, labels.ref);
      [params, mu, nu, count] = [p2, m2, v2, next];
      return value;
    },
    dispose() {
      step.dispose();
      jax.tree.dispose([params, mu, nu, count]);
    },
  };
}

async function trainingRows(device: "wasm" | "webgpu"): Promise<string[]> {
  jax.defaultDevice(device);
  const x = jax.random.normal(jax.random.key(3), [128, 784]);
  const labels = nnx.oneHot(jax.random.randint(jax.random.key(4), { minval: 0, maxval: 10, shape: [128] }), 10);
  const variants = {
    nnx: nnxVariant(x, labels),
    plain: plainVariant(x, labels),
    nnxJit: nnxJitVariant(x, labels),
    plainJit: plainJitVariant(x, labels),
  };
  const times: Record<keyof typeof variants, number[]> = { nnx: [], plain: [], nnxJit: [], plainJit: [] };
  const cpu: Record<keyof typeof variants, number[]> = { nnx: [], plain: [], nnxJit: [], plainJit: [] };
  // Wall time, and process CPU time (all threads): the latter shows the work done even when other processes load the machine.
  const run = async (name: keyof typeof variants) => {
    const c = process.cpuUsage();
    const t = performance.now();
    await variants[name].step().data(); // the loss read waits for the whole step
    const wall = performance.now() - t;
    const used = process.cpuUsage(c);
    return [wall, (used.user + used.system) / 1000] as const;
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (let i = 0; i < 3; i++) for (const name of names) await run(name); // warm-up: compile kernels and programs
  const reps = quick ? 5 : 25;
  for (let i = 0; i < reps; i++) {
    const order = i % 2 ? names : [...names].reverse();
    for (const name of order) {
      const [wall, cpuMs] = await run(name);
      times[name].push(wall);
      cpu[name].push(cpuMs);
    }
  }
  for (const name of names) variants[name].dispose();
  x.dispose();
  labels.dispose();
  const [a, b, aj, bj] = names.map((name) => median(times[name]));
  const [ac, bc, ajc, bjc] = names.map((name) => median(cpu[name]));
  const row = (label: string, wall: number, cpuMs: number) => `| ${label}, ${device} | ${wall.toFixed(1)} | ${cpuMs.toFixed(1)} |`;
  const ratio = (label: string, x: number, y: number, xc: number, yc: number) =>
    `| ${label}, ${device} | ${(x / y).toFixed(3)} | ${(xc / yc).toFixed(3)} |`;
  return [
    row("train step MLP 784-512-512-10 b128 Adam, nnx (ms: wall / cpu)", a!, ac!),
    row("train step, plain jax-js + hand Adam (ms: wall / cpu)", b!, bc!),
    ratio("ratio nnx / plain (goal <= 1.05; wall / cpu)", a!, b!, ac!, bc!),
    row("train step under nnx.jit (ms: wall / cpu)", aj!, ajc!),
    row("train step, plain under jax.jit (ms: wall / cpu)", bj!, bjc!),
    ratio("ratio nnx.jit / jax.jit (wall / cpu)", aj!, bj!, ajc!, bjc!),
  ];
}

// ---------- 3. evalShape of a ~1e9-parameter transformer ----------

class Block extends nnx.Module {
  norm1: nnx.LayerNorm;
  query: nnx.Linear;
  key: nnx.Linear;
  value: nnx.Linear;
  out: nnx.Linear;
  norm2: nnx.LayerNorm;
  up: nnx.Linear;
  down: nnx.Linear;
  constructor(d: number, hidden: number, rngs: nnx.Rngs) {
    super();
    this.norm1 = new nnx.LayerNorm(d, { rngs });
    this.query = new nnx.Linear(d, d, { rngs });
    this.key = new nnx.Linear(d, d, { rngs });
    this.value = new nnx.Linear(d, d, { rngs });
    this.out = new nnx.Linear(d, d, { rngs });
    this.norm2 = new nnx.LayerNorm(d, { rngs });
    this.up = new nnx.Linear(d, hidden, { rngs });
    this.down = new nnx.Linear(hidden, d, { rngs });
  }
}

class Transformer extends nnx.Module {
  embed: nnx.Embed;
  blocks: Block[];
  norm: nnx.LayerNorm;
  constructor(vocab: number, d: number, depth: number, rngs: nnx.Rngs) {
    super();
    this.embed = new nnx.Embed(vocab, d, { rngs });
    this.blocks = Array.from({ length: depth }, () => new Block(d, 4 * d, rngs));
    this.norm = new nnx.LayerNorm(d, { rngs });
  }
}

async function evalShapeRows(): Promise<string[]> {
  // A collection before each measurement, so RSS growth is this build's, not leftover garbage.
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const build = () => nnx.evalShape(() => new Transformer(32000, 2048, 18, new nnx.Rngs(0)));
  const count = (model: Transformer) =>
    nnx
      .state(model)
      .flatState()
      .reduce((n, [, leaf]) => n + ((leaf as nnx.Variable<{ size?: number }>).raw.size ?? 0), 0);
  const params = count(build());
  const times: number[] = [];
  const cpu: number[] = [];
  const growth: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    gc();
    const rss = process.memoryUsage().rss;
    const c = process.cpuUsage();
    const t = performance.now();
    const model = build();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    growth.push((process.memoryUsage().rss - rss) / 2 ** 20);
    void model;
  }
  return [
    `| evalShape transformer (${(params / 1e9).toFixed(3)}e9 params), ms (goal < 100) | ${median(times).toFixed(1)} | ${median(cpu).toFixed(1)} |`,
    `| evalShape RSS growth, MB (goal < 50) | ${median(growth).toFixed(1)} | |`,
  ];
}

// ---------- main ----------

if (process.argv.includes("--matmul-child")) {
  await initRuntime({ device: "wasm" });
  const rows = await matmulRows("wasm, 1 thread", "wasm");
  console.log(JSON.stringify(rows));
} else {
  const report = await initRuntime();
  const matmul: string[] = [];
  const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--matmul-child", ...(quick ? ["--quick"] : [])], {
    env: { ...process.env, TSNNX_THREADS: "1", TSNNX_DEVICE: "wasm" },
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`the one-thread matmul child failed: ${child.stderr}`);
  matmul.push(...(JSON.parse(child.stdout.trim().split("\n").pop()!) as string[]));
  matmul.push(...(await matmulRows(`wasm, ${report.wasmThreads} thread${report.wasmThreads === 1 ? "" : "s"}`, "wasm")));
  if (report.initialized.includes("webgpu")) matmul.push(...(await matmulRows(`webgpu (${report.adapter?.description ?? "?"})`, "webgpu")));
  const measures = [...(await trainingRows(report.device)), ...(await evalShapeRows())];
  jax.defaultDevice(report.device);
  console.log(`\ntsnnx runtime benchmark: default device ${report.device} (${report.reason}), node ${process.version}\n`);
  console.log("| matmul f32, GFLOP/s | 512 | 1024 |");
  console.log("|---|---|---|");
  for (const row of matmul) console.log(row);
  console.log("\n| measure | median (wall) | median (process CPU) |");
  console.log("|---|---|---|");
  for (const row of measures) console.log(row);
}
