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
import { createExecutor, type Executor } from "../src/kernel/exec/index.js";
import { flag, median, runCell } from "./notebook-cells.js";

const ROUNDS = flag("rounds", 40);
const HISTORY = flag("history", 300);

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const TYPICAL = (i: number) =>
  `const h${i % 7} = np.add(base, ${i});\nconst total${i % 7}: number = h${i % 7}.shape.length + counter;\ncounter += 1;\ntotal${i % 7}`;

async function typicalCells(executor: Executor): Promise<{ on: number; off: number }> {
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    on.push(await runCell(executor, TYPICAL(i)));
    off.push(await runCell(executor, `%typecheck off\n${TYPICAL(i)}`));
    await runCell(executor, "%typecheck on");
  }
  return { on: median(on), off: median(off) };
}

const t0 = performance.now();
const executor = await createExecutor({ cwd: os.tmpdir() });
const createMs = performance.now() - t0;
const firstMs = await runCell(executor, "const base = np.ones([4]);\nlet counter = 0;");
const early = await typicalCells(executor);
for (let i = 0; i < HISTORY; i++) {
  await runCell(executor, `%typecheck off\nconst filler${i} = ${i};\nfunction fill${i}(x: number) { return x + filler${i}; }`);
}
await runCell(executor, "%typecheck on");
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
