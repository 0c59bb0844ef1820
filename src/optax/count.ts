/**
 * Step counters: int32 scalar arrays in the state, as in Optax. Schedules are
 * plain JS functions of a number, so the counter's value must be known on the
 * host without a device read (reads are async on webgpu and on multi-threaded
 * wasm, while `update` is synchronous). Every counter this module creates is
 * remembered with its value; a counter from elsewhere (a restored checkpoint)
 * is read synchronously once, which works wherever jax-js allows it.
 */
import * as jax from "@jax-js/jax";
import { treeLeaves } from "./tree.js";

const np = jax.numpy;
const known = new WeakMap<jax.Array, number>();

export function zeroCount(): jax.Array {
  const count = np.array(0, { dtype: np.int32 });
  known.set(count, 0);
  return count;
}

/** `count + 1`, consuming `count`. */
export function incrementCount(count: jax.Array): jax.Array {
  const before = known.get(count);
  const next = count.add(1);
  if (before !== undefined) known.set(next, before + 1);
  return next;
}

/** The counter's value as a JS number (does not consume `count`). */
export function countValue(count: jax.Array, user: string): number {
  const remembered = known.get(count);
  if (remembered !== undefined) return remembered;
  if (!(count instanceof jax.Array)) {
    throw new Error(
      `${user}: a schedule is a JS function of the step number, which is unknown while jit or grad traces the update ` +
        `(it would be frozen into the compiled program); run the optimizer update outside nnx.jit, or use a constant learning rate there`,
    );
  }
  let value: number;
  try {
    value = Number(count.ref.dataSync()[0]);
  } catch (error) {
    throw new Error(
      `${user}: a schedule needs the step count as a number, but this count array was not made by ` +
        `optax and cannot be read synchronously on ${count.device} (${(error as Error).message}); ` +
        `call \`await optax.syncCounts(state)\` once after loading such a state`,
    );
  }
  known.set(count, value);
  return value;
}

/** `1 - decay ** count` in float32, accurate for decays near 1 (unlike pow). */
export function biasCorrection(decay: number, count: jax.Array): jax.Array {
  return np.expm1(count.astype(np.float32).mul(Math.log(decay))).neg();
}

/**
 * Read every step counter in an optimizer state (its int32 scalars) so later
 * synchronous `update`s know their values; needed once for a state that was
 * loaded rather than made by `init`/`update`, on devices without sync reads.
 */
export async function syncCounts(state: unknown): Promise<void> {
  for (const leaf of treeLeaves(state)) {
    if (leaf.dtype !== np.int32 || leaf.ndim !== 0 || known.has(leaf)) continue;
    known.set(leaf, Number((await leaf.ref.data())[0]));
  }
}
