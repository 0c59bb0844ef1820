/** `tsnnx ckpt ...`: list, show and verify checkpoints from the shell, in folders or `s3://` buckets. */
import { CheckpointManager } from "./checkpoint-manager.js";
import { formatBytes, listSteps, showCheckpoint } from "./inspect.js";
import type { ProgressEvent } from "./progress.js";
import { StandardCheckpointer } from "./standard-checkpointer.js";
import { joinLocation, resolveLocation, storageFor } from "./storage/index.js";

const usage = "usage: tsnnx ckpt ls DIR | tsnnx ckpt show DIR [STEP] | tsnnx ckpt verify DIR [STEP]   (DIR: a folder or s3://bucket/prefix)";

function parseStepArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`ckpt: STEP must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** Draws a one-line progress bar on stderr, redrawn in place. */
function drawProgress(event: ProgressEvent): void {
  const fraction = event.totalBytes > 0 ? event.doneBytes / event.totalBytes : 1;
  const width = 30;
  const filled = Math.round(fraction * width);
  process.stderr.write(
    `\r${event.phase} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${formatBytes(event.doneBytes)} / ${formatBytes(event.totalBytes)}` +
      (event.doneBytes >= event.totalBytes ? "\n" : ""),
  );
}

/** Reads every array of a checkpoint (decoding and checking it), drawing progress on stderr. */
async function verify(directory: string, step: number | undefined): Promise<string> {
  const dir = resolveLocation(directory);
  if (step === undefined && storageFor(dir).kindSync(joinLocation(dir, "_METADATA")) === "file") {
    const ckptr = new StandardCheckpointer({ onProgress: drawProgress });
    await ckptr.restore(dir);
    return `${dir}: every array read and decoded`;
  }
  const manager = new CheckpointManager(dir, { readOnly: true, onProgress: drawProgress });
  const chosen = step ?? manager.latestStep();
  await manager.restore(chosen);
  const conversions = manager.lastRestoreReport.conversions.map((c) => `\n  ${c.path}: ${c.from} -> ${c.to}`).join("");
  return `${dir} step ${chosen}: every item read and decoded${conversions ? `; converted for jax-js:${conversions}` : ""}`;
}

export async function runCkptCommand(args: string[]): Promise<number> {
  const [sub, dir, stepArg, ...extra] = args;
  if (sub === undefined || dir === undefined || extra.length > 0 || (sub === "ls" && stepArg !== undefined)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const step = parseStepArg(stepArg);
  let text: string;
  switch (sub) {
    case "ls":
      text = listSteps(dir);
      break;
    case "show":
      text = await showCheckpoint(dir, step);
      break;
    case "verify":
      text = await verify(dir, step);
      break;
    default:
      process.stderr.write(`tsnnx ckpt: unknown subcommand "${sub}"\n${usage}\n`);
      return 2;
  }
  process.stdout.write(text + "\n");
  return 0;
}
