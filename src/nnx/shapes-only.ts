/**
 * evalShape's shapes-only mode. While evalShape traces a factory, random
 * initialisers give zeros of their result's shape and dtype instead of
 * tracing their sampler: the trace only needs shapes and dtypes, and the
 * JAX-exact samplers (uniform mapped through erfinv) were most of its cost.
 * Keys are still drawn and consumed, so Rng counts advance as in a real
 * construction and the abstract state equals the real one's.
 */
let depth = 0;

export function shapesOnly(): boolean {
  return depth > 0;
}

/** Run `fn` in shapes-only mode (nested calls are fine; the mode ends with the outermost). */
export function withShapesOnly<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
