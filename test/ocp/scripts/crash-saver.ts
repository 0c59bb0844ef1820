/**
 * Child process of the crash test: saves steps FROM..TO-1 into DIR with a
 * CheckpointManager (async saves, maxToKeep 3) until it is killed. Announces
 * each step on stdout before saving it, so the test can aim its kills.
 */
import "../../../src/runtime/globals.js";
import * as jax from "@jax-js/jax";
import * as ocp from "../../../src/ocp/index.js";
import { ELEMENTS, LEAVES, stateBits } from "./crash-state.js";

const [dir, from, to] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
await jax.init("wasm");
jax.defaultDevice("wasm");
const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 3 });
process.stdout.write("ready\n");
for (let step = from; step < to; step++) {
  process.stdout.write(`saving ${step}\n`);
  const state: Record<string, jax.Array> = {};
  for (let leaf = 0; leaf < LEAVES; leaf++) {
    const bits = stateBits(step, leaf, ELEMENTS);
    state[`w${leaf}`] = jax.numpy.array(new Float32Array(bits.buffer), { shape: [ELEMENTS] });
  }
  await mngr.save(step, { args: ocp.args.StandardSave(state), metrics: { step } });
  for (const x of Object.values(state)) x.dispose();
}
await mngr.close();
process.stdout.write("done\n");
