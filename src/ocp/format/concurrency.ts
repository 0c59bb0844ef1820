/**
 * Maps with at most `limit` calls in flight: thousands of leaves must not
 * open thousands of files at once. After a failure no new call starts, and
 * the first error is thrown once the calls in flight have ended (they may be
 * writing from memory the caller frees when this returns).
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  async function worker(): Promise<void> {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * Runs the calls given to it one at a time, in order, with a turn of the
 * event loop before each: a fetch out of jax-js copies synchronously on the
 * main thread, and the pause lets the I/O queued after the previous fetch
 * (opening and writing its file) start first, so copying and writing overlap.
 */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const result = tail.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(fn);
    tail = result.catch(() => undefined);
    return result;
  };
}
