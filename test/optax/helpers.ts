/** Small helpers shared by the optax specs: JS numbers in, arrays out and back. */
import * as jax from "@jax-js/jax";

const np = jax.numpy;

export type NumTree = { [key: string]: number[] };

export function toArrays(tree: NumTree): { [key: string]: jax.Array } {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, np.array(v)]));
}

/** Reads (and consumes) every array of a flat object of arrays. */
export async function toNumbers(tree: { [key: string]: unknown }): Promise<NumTree> {
  const out: NumTree = {};
  for (const [k, v] of Object.entries(tree)) out[k] = Array.from(await (v as jax.Array).data(), Number);
  return out;
}

export function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (tolerance ${tol})`);
    }
  });
}
