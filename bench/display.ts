/**
 * State-tree render time and HTML bytes for models of 100, 1,000 and 10,000
 * leaves (50, 500, 5,000 `Linear(8, 8)` in a list, random weights drawn on
 * the host: jax-js's lazy random arrays would make the first render pay for
 * generating them), tsnnx's
 * `stateTree` against Treescope 0.1.10's `render_to_html` on the equivalent
 * Flax NNX model, measured in the same run (Python side:
 * test/python/bench_treescope.py, run with the repo's .venv). Prints medians
 * and ratios. `npx tsx bench/display.ts [runs]`; TREESCOPE=0 skips Python.
 * Treescope renders 10,000 leaves once only (about 34 s a render).
 */
import "../src/runtime/globals.js";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { nnx, np } from "../src/index.js";
import { stateTree } from "../src/display/index.js";

const LAYER_COUNTS = [50, 500, 5000];
const runs = Number(process.argv[2] ?? 5);

class Stack extends nnx.Module {
  layers: nnx.Linear[];
  constructor(n: number, rngs: nnx.Rngs) {
    super();
    this.layers = Array.from({ length: n }, () => new nnx.Linear(8, 8, { rngs, kernelInit: hostNormal, biasInit: hostNormal }));
  }
}

/** Standard normal values (Box-Muller over Math.random), concrete on the device at once. */
const hostNormal: nnx.Initializer = (_key, shape) => {
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
  return np.array(data, { dtype: np.float32 }).reshape([...shape]);
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Row { leaves: number; ms: number; bytes: number }

async function measureTsnnx(layers: number): Promise<Row> {
  const model = new Stack(layers, new nnx.Rngs(0));
  const times: number[] = [];
  let bytes = 0;
  await stateTree(model); // warm-up: compiles the reads' kernels once
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const bundle = await stateTree(model);
    times.push(performance.now() - start);
    bytes = Buffer.byteLength(bundle["text/html"]);
  }
  return { leaves: layers * 2, ms: median(times), bytes };
}

function measureTreescope(): Map<number, Row> {
  const python = execFileSync("bash", ["test/python/ensure-venv.sh"], { encoding: "utf8" }).trim().split("\n").pop()!;
  const counts = LAYER_COUNTS.map((n) => String(n)).join(",");
  const out = execFileSync(python, ["test/python/bench_treescope.py", counts, String(runs)], { encoding: "utf8", maxBuffer: 1 << 26 });
  const rows = JSON.parse(out.trim().split("\n").pop()!) as Row[];
  return new Map(rows.map((r) => [r.leaves, r]));
}

const ours: Row[] = [];
for (const layers of LAYER_COUNTS) ours.push(await measureTsnnx(layers));
const theirs = process.env.TREESCOPE === "0" ? new Map<number, Row>() : measureTreescope();

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
console.log(`state-tree render, median of ${runs} (tsnnx stateTree vs Treescope 0.1.10 render_to_html)`);
console.log("| leaves | tsnnx ms | Treescope ms | time ratio | tsnnx HTML | Treescope HTML | size ratio |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const row of ours) {
  const t = theirs.get(row.leaves);
  const ratio = (a: number, b: number | undefined): string => (b === undefined ? "-" : `${(a / b).toFixed(3)}x`);
  console.log(
    `| ${row.leaves.toLocaleString("en-US")} | ${row.ms.toFixed(1)} | ${t ? t.ms.toFixed(1) : "-"} | ${ratio(row.ms, t?.ms)} | ${kib(row.bytes)} | ${t ? kib(t.bytes) : "-"} | ${ratio(row.bytes, t?.bytes)} |`,
  );
}
