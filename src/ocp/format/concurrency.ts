/** Maps with at most `limit` calls in flight: thousands of leaves must not open thousands of files at once. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        failed = true; // stop starting new work; the first error is the one reported
        throw e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
