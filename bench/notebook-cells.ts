/**
 * What the benchmarks that drive a notebook executor share: `--name value`
 * flags, a cell runner that times one cell and fails loudly on an error, and
 * the median. One copy, so every executor benchmark times cells the same way.
 */
import { quietCellIO, type Executor } from "../src/kernel/exec/index.js";

export const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};

const quietIO = quietCellIO("no stdin in the benchmark");
let count = 0;

/** Runs `code` as the next cell; resolves to its wall time in ms. */
export async function runCell(executor: Executor, code: string): Promise<number> {
  const start = performance.now();
  const outcome = await executor.execute(code, quietIO, { silent: false, storeHistory: true, executionCount: ++count });
  const ms = performance.now() - start;
  if (outcome.status !== "ok") throw new Error(`benchmark cell failed: ${JSON.stringify(outcome)}\n${code}`);
  return ms;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
