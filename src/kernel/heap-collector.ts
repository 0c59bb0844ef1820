/**
 * Keeps the kernel's memory from growing with the garbage of cells.
 *
 * Each new cell leaves objects that die once it has run: its transpile, its
 * parses, the language service's programs for completion. V8 collects its
 * old space lazily and keeps the pages it grew into. A full collection over
 * the kernel's live heap of parsed library files takes ~70 ms, so it runs
 * when the kernel has been idle for a moment (the user reads the output),
 * and at the latest every 16 cells of a run of back-to-back cells (Run All),
 * where it is spread thin. Measured with bench/kernel-typecheck.ts, RSS
 * growth over 300 new cells: 376 -> 94 MiB when the language service checked
 * every cell; 197 -> 70 MiB (tsgo's process included) since tsgo checks them.
 *
 * The idle moment is also when the executor does ahead the work the next
 * cell would otherwise wait for (`workAhead`), before the collection that
 * takes its garbage.
 */
import v8 from "node:v8";
import vm from "node:vm";

export const IDLE_MS = 250;
export const MAX_CELLS_BETWEEN = 16;

export interface HeapCollector {
  /** A request arrived: an idle collection would only delay it. */
  busy(): void;
  /** A cell finished and its reply is sent. */
  cellDone(): void;
}

/** V8 hides `gc` unless --expose-gc was given; the flag set now gives it to contexts made after. */
export function exposedGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as (() => void) | undefined;
}

/** `collect` is V8's full collection; tests pass a counter. */
export function heapCollector(collect: (() => void) | undefined = exposedGc(), workAhead: () => void = () => {}): HeapCollector {
  let cellsSince = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    cellsSince = 0;
    collect?.();
  };
  const idle = () => {
    workAhead();
    run();
  };
  return {
    busy() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    cellDone() {
      if (!collect) return;
      if (++cellsSince >= MAX_CELLS_BETWEEN) return run();
      if (timer) clearTimeout(timer);
      timer = setTimeout(idle, IDLE_MS);
      timer.unref();
    },
  };
}
