/**
 * Normal and truncated-normal samples drawn exactly as JAX draws them, so
 * parameters initialised from the same key match Flax's: a uniform sample
 * (jax-js's uniform is bit-identical to JAX's) mapped through the inverse
 * error function, as `jax.random.normal` and `jax.random.truncated_normal`
 * do. jax-js's own `random.normal` uses Box-Muller (different values), and it
 * has neither a truncated normal nor `erfinv`, so those live here.
 */
import * as jax from "@jax-js/jax";

const np = jax.numpy;

/** Horner evaluation of a polynomial (highest coefficient first) at `w` (consumed). */
function horner(coefficients: readonly number[], w: jax.Array): jax.Array {
  let p = w.ref.mul(coefficients[0]!).add(coefficients[1]!);
  for (const c of coefficients.slice(2)) p = p.mul(w.ref).add(c);
  w.dispose();
  return p;
}

// M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011),
// single-precision coefficients: the central and the tail branch.
const CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3,
  2.46640727e-1, 1.50140941,
];
const TAIL = [
  -2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3,
  1.00167406, 2.83297682,
];

/**
 * Inverse error function of float32 `x` in (-1, 1) (consumed). When every
 * |x| is known to be at most `maxAbs`, and that keeps w = -log(1 - x²) below
 * the branch point 5 (|x| < 0.9966; truncation at ±2 gives |x| <= 0.9545),
 * only the central branch is computed: half the kernels.
 */
export function erfinv(x: jax.Array, maxAbs = 1): jax.Array {
  // w = -log(1 - x²), through log1p as XLA computes it (accurate for small x).
  const w = np.log1p(np.square(x.ref).neg()).neg();
  if (-Math.log(1 - maxAbs * maxAbs) < 5) return horner(CENTRAL, w.sub(2.5)).mul(x);
  const central = horner(CENTRAL, w.ref.sub(2.5));
  const tail = horner(TAIL, np.sqrt(w.ref).sub(3));
  return np.where(w.less(5), central, tail).mul(x);
}

/** `shape` float32 samples of N(0, 1) conditioned on lower < x < upper (consumes `key`). */
export function truncatedNormalSample(key: jax.Array, lower: number, upper: number, shape: number[]): jax.Array {
  const a = erf(lower / Math.SQRT2);
  const b = erf(upper / Math.SQRT2);
  const u = jax.random.uniform(key, shape, { minval: a, maxval: b });
  const sample = erfinv(u, Math.max(Math.abs(a), Math.abs(b))).mul(Math.SQRT2);
  // The float32 round trip can land a hair outside the bounds; keep it inside.
  return np.clip(sample, nextToward(lower, upper), nextToward(upper, lower));
}

/**
 * `shape` float32 samples of N(0, 1), as jax.random.normal: sqrt(2) erfinv(u)
 * with u uniform on [nextafter(-1, 0), 1) (consumes `key`).
 */
export function normalSample(key: jax.Array, shape: number[]): jax.Array {
  const u = jax.random.uniform(key, shape, { minval: nextToward(-1, 0), maxval: 1 });
  return erfinv(u).mul(Math.SQRT2);
}

/**
 * erf of a JS number (host side: a device read would be async). Maclaurin
 * series below 4, where float64 keeps ~1e-11 after cancellation; beyond it
 * erf is within 2e-8 of ±1, under float32's resolution there.
 */
function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The float32 neighbour of `x` in the direction of `toward`. */
function nextToward(x: number, toward: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (x === toward) return x;
  if (x === 0) {
    bits[0] = 1;
    return toward > 0 ? f[0]! : -f[0]!;
  }
  bits[0]! += (toward > x) === (x > 0) ? 1 : -1;
  return f[0]!;
}
