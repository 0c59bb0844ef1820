/**
 * evalShape's shapes-only mode. While evalShape traces a factory, random
 * initialisers give zeros of their result's shape and dtype instead of
 * tracing their sampler, and Rng streams hand out placeholder keys (zeros of
 * a key's shape) instead of tracing threefry: the trace only needs shapes and
 * dtypes, and the JAX-exact samplers and the per-key fold_in were most of its
 * cost. Streams still count every key they hand out, so Rng counts advance as
 * in a real construction and the abstract state equals the real one's.
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
