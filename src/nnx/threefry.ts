/**
 * JAX's `random.fold_in` for jax-js, which lacks it: Threefry-2x32 (20
 * rounds, Salmon et al. 2011) written with jax-js uint32 array operations, so
 * it also runs under tracing (jit, grad) where the count is a tracer.
 *
 * fold_in(key, data) = threefry2x32(key, counter = (0, data)), the same bits
 * as `random.split(key, data + 1)[data]`, and as JAX's `fold_in` on a raw
 * threefry key.
 */
import * as jax from "@jax-js/jax";

const np = jax.numpy;
const rotations = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;

const u32 = (n: number) => np.array(n, { dtype: np.uint32 });

function rotateLeft(x: jax.Array, r: number): jax.Array {
  return np.bitwiseOr(np.leftShift(x.ref, u32(r)), np.rightShift(x, u32(32 - r)));
}

function threefry2x32(k0: jax.Array, k1: jax.Array, c0: jax.Array, c1: jax.Array): [jax.Array, jax.Array] {
  const k2 = np.bitwiseXor(np.bitwiseXor(k0.ref, k1.ref), u32(0x1bd11bda));
  const ks = [k0, k1, k2];
  let x0 = c0.add(ks[0]!.ref);
  let x1 = c1.add(ks[1]!.ref);
  for (let i = 0; i < 5; i++) {
    for (const r of rotations[i % 2]!) {
      x0 = x0.add(x1.ref);
      x1 = np.bitwiseXor(rotateLeft(x1, r), x0.ref);
    }
    x0 = x0.add(ks[(i + 1) % 3]!.ref);
    x1 = x1.add(ks[(i + 2) % 3]!.ref).add(u32(i + 1));
  }
  for (const k of ks) k.dispose();
  return [x0, x1];
}

/** fold_in(key, data) for a raw uint32[2] key and a uint32 scalar; consumes both. */
function foldInImpl(key: jax.Array, data: jax.Array): jax.Array {
  const [k0, k1] = np.split(key, 2).map((k) => k.reshape([]));
  const [x0, x1] = threefry2x32(k0!, k1!, np.zeros([], { dtype: np.uint32 }), data.astype(np.uint32));
  return np.stack([x0, x1]);
}

/** Compiled once: one fused kernel per call instead of ~150 small ones. */
export const foldIn = jax.jit(foldInImpl);
