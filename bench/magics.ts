/**
 * `%save model` against the same save written out in a cell
 * (`await manager.save(step, { args: ocp.args.StandardSave(nnx.state(model)) })`
 * then `waitUntilFinished`), both as whole cells of one notebook, interleaved,
 * on a model with random weights. The difference is what the magic adds:
 * rewriting and checking its line, the progress bar, the summary line.
 * Goal: under 5%.
 *
 *   npx tsx bench/magics.ts [--rounds 15] [--width 2048]   (32 MiB: small saves are all fsync and noise)
 */
import "../src/runtime/globals.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createExecutor, type Executor } from "../src/kernel/exec/index.js";
import { flag, median, runCell } from "./notebook-cells.js";

const ROUNDS = flag("rounds", 15);
const WIDTH = flag("width", 2048);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-bench-magics-"));
const magicDir = path.join(dir, "checkpoints");
const directDir = path.join(dir, "direct");
/** Steps are removed between rounds (outside the timings) so the disk holds one model's worth at a time. */
const clear = (folder: string) => {
  for (const name of fs.existsSync(folder) ? fs.readdirSync(folder) : []) fs.rmSync(path.join(folder, name), { recursive: true, force: true });
};

try {
  const executor = await createExecutor({ cwd: dir });
  // nnx.Linear initialises with random normal weights: real data for the writer, not broadcast constants.
  await runCell(
    executor,
    `class Two extends nnx.Module { a: nnx.Linear; b: nnx.Linear; constructor(rngs: nnx.Rngs) { super(); this.a = new nnx.Linear(${WIDTH}, ${WIDTH}, { rngs }); this.b = new nnx.Linear(${WIDTH}, ${WIDTH}, { rngs }); } }\n` +
      `const model = new Two(new nnx.Rngs(0));\n` +
      `const manager = new ocp.CheckpointManager(${JSON.stringify(directDir)});\nlet directStep = 0;`,
  );
  const direct: number[] = [];
  const magic: number[] = [];
  const saveDirect = async () => {
    const ms = await runCell(executor, "await manager.save(directStep++, { args: ocp.args.StandardSave(nnx.state(model)) });\nawait manager.waitUntilFinished();");
    clear(directDir);
    return ms;
  };
  const saveMagic = async () => {
    const ms = await runCell(executor, "%save model");
    clear(magicDir);
    return ms;
  };
  // One round of each first warms the writer, the type checker and the caches; the order alternates (ABBA) against drift.
  for (let round = -1; round < ROUNDS; round++) {
    const [d, m] = round % 2 === 0 ? [await saveDirect(), await saveMagic()] : [await saveMagic(), await saveDirect()].reverse();
    if (round >= 0) {
      direct.push(d!);
      magic.push(m!);
    }
  }
  const bytes = 2 * (WIDTH * WIDTH + WIDTH) * 4;
  const [directMs, magicMs] = [median(direct), median(magic)];
  const [directMin, magicMin] = [Math.min(...direct), Math.min(...magic)];
  console.log(`model: 2 x Linear(${WIDTH}, ${WIDTH}), ${(bytes / 2 ** 20).toFixed(1)} MiB of float32, ${ROUNDS} rounds of whole cells`);
  console.log(`direct CheckpointManager.save + waitUntilFinished: median ${directMs.toFixed(1)} ms, min ${directMin.toFixed(1)} ms`);
  console.log(`%save model:                                       median ${magicMs.toFixed(1)} ms, min ${magicMin.toFixed(1)} ms`);
  // Each round's two saves ran back to back: the median of their ratios cancels load that drifts between rounds,
  // which the ratio of medians does not. The minimum is what a quiet machine gives.
  const paired = median(magic.map((m, i) => m / direct[i]!));
  console.log(
    `overhead: median of paired ratios ${((paired - 1) * 100).toFixed(1)}%, ratio of medians ${(((magicMs - directMs) / directMs) * 100).toFixed(1)}%, ` +
      `min ${(((magicMin - directMin) / directMin) * 100).toFixed(1)}% (goal < 5%); load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  executor.dispose();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
