/**
 * Child process of the crash test: saves steps FROM..TO-1 into DIR with a
 * CheckpointManager (async saves, maxToKeep 3) until it is killed. Announces
 * each step on stdout before saving it, so the test can aim its kills.
 *
 * With MODE "overwrite", each step is saved (version 0), announced as
 * committed, then saved again with force (version 1). With SELF_KILL_STEP as
 * well, the process SIGKILLs itself the instant that step's forced save has
 * moved the old folder aside: the narrow window no timed kill can aim at.
 */
import "../../../src/runtime/globals.js";
import fsp from "node:fs/promises";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../../src/ocp/index.js";
import { ELEMENTS, LEAVES, versionBits } from "./crash-state.js";

const [dir, from, to] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const overwrite = process.argv[5] === "overwrite";
const selfKillStep = process.argv[6] === undefined ? undefined : Number(process.argv[6]);

if (selfKillStep !== undefined) {
  const renames = fsp as { rename: typeof fsp.rename };
  const rename = renames.rename;
  renames.rename = async (src, dst) => {
    await rename(src, dst);
    if (path.basename(String(dst)) === `${selfKillStep}.orbax-checkpoint-tmp-replaced`) process.kill(process.pid, "SIGKILL");
  };
}

await jax.init("wasm");
jax.defaultDevice("wasm");
const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 3 });
process.stdout.write("ready\n");

async function save(step: number, version: number, force: boolean): Promise<void> {
  const state: Record<string, jax.Array> = {};
  for (let leaf = 0; leaf < LEAVES; leaf++) {
    const bits = versionBits(step, version, leaf, ELEMENTS);
    state[`w${leaf}`] = jax.numpy.array(new Float32Array(bits.buffer), { shape: [ELEMENTS] });
  }
  await mngr.save(step, { args: ocp.args.StandardSave(state), metrics: overwrite ? { step, version } : { step }, force });
  for (const x of Object.values(state)) x.dispose();
}

for (let step = from; step < to; step++) {
  process.stdout.write(`saving ${step}\n`);
  await save(step, 0, false);
  if (!overwrite) continue;
  await mngr.waitUntilFinished();
  process.stdout.write(`committed ${step}\n`);
  await save(step, 1, true);
}
await mngr.close();
process.stdout.write("done\n");
