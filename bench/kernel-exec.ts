/**
 * The cell executor's own costs, without any protocol: creating it (loads
 * TypeScript and jax-js), the first cell (builds the type checker's
 * program), then a typical cell with type checking on against the same cell
 * with it off (the baseline, measured in the same run, interleaved), after a
 * short and a long notebook history; completion and is_complete latency.
 *
 *   npx tsx bench/kernel-exec.ts [--rounds 40] [--history 300]
 */
import "../src/runtime/globals.js";
import os from "node:os";
import { createExecutor, quietCellIO, type Executor } from "../src/kernel/exec/index.js";

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const ROUNDS = flag("rounds", 40);
const HISTORY = flag("history", 300);

const quietIO = quietCellIO("no stdin in the benchmark");

let count = 0;
async function run(executor: Executor, code: string): Promise<number> {
  const start = performance.now();
  const outcome = await executor.execute(code, quietIO, { silent: false, storeHistory: true, executionCount: ++count });
  const ms = performance.now() - start;
  if (outcome.status !== "ok") throw new Error(`benchmark cell failed: ${JSON.stringify(outcome)}\n${code}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const TYPICAL = (i: number) =>
  `const h${i % 7} = np.add(base, ${i});\nconst total${i % 7}: number = h${i % 7}.shape.length + counter;\ncounter += 1;\ntotal${i % 7}`;

async function typicalCells(executor: Executor): Promise<{ on: number; off: number }> {
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    on.push(await run(executor, TYPICAL(i)));
    off.push(await run(executor, `%typecheck off\n${TYPICAL(i)}`));
    await run(executor, "%typecheck on");
  }
  return { on: median(on), off: median(off) };
}

const t0 = performance.now();
const executor = await createExecutor({ cwd: os.tmpdir() });
const createMs = performance.now() - t0;
const firstMs = await run(executor, "const base = np.ones([4]);\nlet counter = 0;");
const early = await typicalCells(executor);
for (let i = 0; i < HISTORY; i++) {
  await run(executor, `%typecheck off\nconst filler${i} = ${i};\nfunction fill${i}(x: number) { return x + filler${i}; }`);
}
await run(executor, "%typecheck on");
const late = await typicalCells(executor);

const completion: number[] = [];
const isComplete: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  let start = performance.now();
  await executor.complete("base.res", 8);
  completion.push(performance.now() - start);
  start = performance.now();
  await executor.isComplete("function f() {\n  if (x) {");
  isComplete.push(performance.now() - start);
}
executor.dispose();

console.log(`| measure | median |`);
console.log(`|---|---|`);
console.log(`| createExecutor (TypeScript + jax-js load) | ${fmt(createMs)} |`);
console.log(`| first cell (type checker program built) | ${fmt(firstMs)} |`);
for (const [label, r] of [[`after ${ROUNDS * 3} cells`, early], [`after ${ROUNDS * 6 + HISTORY} cells`, late]] as const) {
  console.log(`| typical cell, type-checked, ${label} | ${fmt(r.on)} |`);
  console.log(`| same cell, %typecheck off (baseline), ${label} | ${fmt(r.off)} |`);
  console.log(`| type checking costs, ${label} | +${fmt(r.on - r.off)} (${(r.on / r.off).toFixed(1)}x) |`);
}
console.log(`| complete \`base.res\` | ${fmt(median(completion))} |`);
console.log(`| isComplete | ${fmt(median(isComplete))} |`);
process.exit(0);
