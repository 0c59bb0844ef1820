/**
 * Progress bars as `tqdm` draws them: `progress(iterable, { total, desc })`
 * yields the items of a loop, and `byteProgress({ desc, totalBytes })` follows
 * a save or restore in bytes. Both draw `tqdm`'s own text line
 * (`desc:  45%|████▌     | 45/100 [00:01<00:01, 40.18it/s]`, byte sizes and
 * rates as `tqdm`'s `unit_scale` writes them) and an HTML bar that needs no
 * script, through a sink:
 * - outside the kernel the default sink writes plain text lines to stderr,
 *   the first at once, then one every few seconds, and the last (scripts and
 *   logs stay short);
 * - in a cell the kernel's sink (kernel/exec/progress-binding.ts) updates one
 *   output in place through a display id, so a saved notebook keeps only the
 *   final state.
 *
 * A bar draws at most once per `minIntervalMs` (100 ms: ten times a second)
 * and always once at the end. Reading the clock costs about 100 ns in Node,
 * more than a light loop's body, so it is read only every `stride` items,
 * a stride that adapts to keep about ten clock reads per interval. The rate
 * is the average since the start (items over elapsed time), not tqdm's
 * smoothed one, so the numbers shown can be checked by hand.
 */

export type ProgressUnit = "it" | "B";

/** running: still going; done: reached its total (or an iterable's end); stopped: closed before that. */
export type ProgressStatus = "running" | "done" | "stopped";

export interface ProgressState {
  desc?: string;
  n: number;
  total?: number;
  elapsedSeconds: number;
  unit: ProgressUnit;
  status: ProgressStatus;
}

export interface ProgressSink {
  /** The bar's state, at most about ten times a second, then once with `final` true. */
  draw(state: ProgressState, final: boolean): void;
}

export interface ProgressOptions {
  total?: number;
  desc?: string;
  sink?: ProgressSink;
  /** Milliseconds (performance.now() by default); tests pass a fake clock. */
  clock?: () => number;
  minIntervalMs?: number;
}

const BAR_WIDTH = 10;
const PARTIAL_BLOCKS = " ▏▎▍▌▋▊▉";
const DEFAULT_MIN_INTERVAL_MS = 100;
const STDERR_INTERVAL_MS = 5000;

/** Python's `format(x, ".Nf")`, padded to `width`. */
function fixed(x: number, digits: number, width = 0): string {
  return x.toFixed(digits).padStart(width);
}

/** tqdm's `format_sizeof`: three significant figures and an SI prefix (`1.20M`, `315k`). */
export function formatSizeof(num: number, divisor = 1000): string {
  for (const prefix of ["", "k", "M", "G", "T", "P", "E", "Z"]) {
    if (Math.abs(num) < 999.5) {
      if (Math.abs(num) < 99.95) {
        if (Math.abs(num) < 9.995) return fixed(num, 2) + prefix;
        return fixed(num, 1) + prefix;
      }
      return fixed(num, 0, 3) + prefix;
    }
    num /= divisor;
  }
  return fixed(num, 1) + "Y";
}

/** tqdm's `format_interval`: `MM:SS`, or `H:MM:SS` from an hour on. */
export function formatInterval(seconds: number): string {
  const whole = Math.floor(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  const two = (v: number): string => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** The bar's blocks: eighths of a block for the partial one, as tqdm draws it. */
function bar(fraction: number): string {
  const eighths = Math.floor(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH * 8);
  const full = Math.floor(eighths / 8);
  const partial = full < BAR_WIDTH ? PARTIAL_BLOCKS[eighths % 8]! : "";
  return ("█".repeat(full) + partial).padEnd(BAR_WIDTH);
}

interface Parts {
  prefix: string;
  percent?: string;
  bar?: string;
  counts: string;
  times: string;
}

function parts(state: ProgressState): Parts {
  const bytes = state.unit === "B";
  const rate = state.elapsedSeconds > 0 ? state.n / state.elapsedSeconds : 0;
  const count = (v: number): string => (bytes ? formatSizeof(v, 1024) : String(v));
  let rateText: string;
  if (rate === 0) rateText = `?${state.unit}/s`;
  else if (bytes) rateText = `${formatSizeof(rate)}B/s`;
  else if (rate < 1) rateText = `${fixed(1 / rate, 2, 5)}s/it`;
  else rateText = `${fixed(rate, 2, 5)}it/s`;
  const prefix = state.desc ? `${state.desc}: ` : "";
  const elapsed = formatInterval(state.elapsedSeconds);
  if (state.total === undefined || state.total <= 0) {
    return { prefix, counts: `${count(state.n)}${state.unit}`, times: `[${elapsed}, ${rateText}]` };
  }
  const fraction = state.n / state.total;
  const remaining = rate > 0 ? formatInterval((state.total - state.n) / rate) : "?";
  return { prefix, percent: `${fixed(fraction * 100, 0, 3)}%`, bar: bar(fraction), counts: `${count(state.n)}/${count(state.total)}`, times: `[${elapsed}<${remaining}, ${rateText}]` };
}

/** tqdm's line: `desc:  45%|████▌     | 45/100 [00:01<00:01, 40.18it/s]`. */
export function progressText(state: ProgressState): string {
  const p = parts(state);
  if (p.percent === undefined) return `${p.prefix}${p.counts} ${p.times}`;
  return `${p.prefix}${p.percent}|${p.bar}| ${p.counts} ${p.times}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const BAR_COLOURS: Record<ProgressStatus, string> = { running: "#2196f3", done: "#4caf50", stopped: "#f44336" };

/** The bar as HTML with inline styles only: it draws without scripts, also in a sanitised (untrusted) output. */
export function progressHtml(state: ProgressState): string {
  const p = parts(state);
  const fraction = state.total ? Math.min(1, state.n / state.total) : state.status === "done" ? 1 : 0;
  const width = `${(fraction * 100).toFixed(1)}%`;
  const label = p.percent === undefined ? "" : `<span>${escapeHtml(p.percent.trim())}</span>`;
  return (
    `<div style="display:flex;align-items:center;gap:8px;font-family:monospace;font-size:12px;line-height:18px">` +
    (p.prefix ? `<span>${escapeHtml(p.prefix.slice(0, -2))}</span>` : "") +
    label +
    `<div style="width:240px;height:12px;border:1px solid #bbbbbb;background:#eeeeee;flex:none">` +
    `<div style="width:${width};height:100%;background:${BAR_COLOURS[state.status]}"></div></div>` +
    `<span>${escapeHtml(`${p.counts} ${p.times}`)}</span></div>`
  );
}

/** The bar as a display bundle: HTML for notebooks, tqdm's line for consoles. */
export function progressBundle(state: ProgressState): { "text/html": string; "text/plain": string } {
  return { "text/html": progressHtml(state), "text/plain": progressText(state) };
}

/** Plain text lines on stderr: the first draw, then at most one per `intervalMs`, then the final one. */
export function stderrSink(intervalMs = STDERR_INTERVAL_MS, clock: () => number = () => performance.now()): ProgressSink {
  let last = -Infinity;
  return {
    draw(state, final) {
      const now = clock();
      if (!final && now - last < intervalMs) return;
      last = now;
      process.stderr.write(progressText(state) + "\n");
    },
  };
}

/** A bar's counter: call `advance`/`update` as work is done, `close` once at the end. */
class ProgressBar {
  private n = 0;
  private readonly started: number;
  private lastDraw = -Infinity;
  private closed = false;
  /** Items until the next clock read, and where the last read was. */
  private stride = 1;
  private nextCheck = 1;
  private lastCheck: { n: number; time: number };
  private readonly clock: () => number;
  private readonly sink: ProgressSink;
  private readonly minIntervalMs: number;

  constructor(
    private total: number | undefined,
    private readonly desc: string | undefined,
    private readonly unit: ProgressUnit,
    options: Pick<ProgressOptions, "sink" | "clock" | "minIntervalMs"> = {},
  ) {
    checkTotal(total);
    this.clock = options.clock ?? (() => performance.now());
    this.sink = options.sink ?? stderrSink();
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.started = this.clock();
    this.lastCheck = { n: 0, time: this.started };
    this.draw(this.started, false);
  }

  /** One more item (or `count` more). */
  advance(count = 1): void {
    this.n += count;
    if (this.n >= this.nextCheck) this.check();
  }

  /** Sets the count (bytes done so far), and the total when it became known. */
  update(n: number, total?: number): void {
    if (total !== undefined) this.total = total;
    this.n = n;
    this.check();
  }

  /** The final draw: done when the total was reached (or none was given and `completed`), stopped otherwise. */
  close(completed = false): void {
    if (this.closed) return;
    this.closed = true;
    const done = this.total === undefined ? completed : this.n >= this.total;
    this.sink.draw(this.state(this.clock(), done ? "done" : "stopped"), true);
  }

  private check(): void {
    if (this.closed) return;
    const now = this.clock();
    const dn = this.n - this.lastCheck.n;
    const dt = now - this.lastCheck.time;
    // About ten clock reads per interval: the stride grows while reads come too often, and shrinks when they come too rarely.
    const target = this.minIntervalMs / 10;
    this.stride = dt > 0 ? Math.max(1, Math.floor((dn * target) / dt)) : this.stride * 2;
    this.nextCheck = this.n + this.stride;
    this.lastCheck = { n: this.n, time: now };
    if (now - this.lastDraw >= this.minIntervalMs) this.draw(now, false);
  }

  private draw(now: number, final: boolean): void {
    this.lastDraw = now;
    this.sink.draw(this.state(now, "running"), final);
  }

  private state(now: number, status: ProgressStatus): ProgressState {
    return { desc: this.desc, n: this.n, total: this.total, elapsedSeconds: Math.max(0, now - this.started) / 1000, unit: this.unit, status };
  }
}

function lengthOf(items: unknown): number | undefined {
  if (Array.isArray(items) || ArrayBuffer.isView(items)) return (items as ArrayLike<unknown>).length;
  if (items instanceof Set || items instanceof Map) return items.size;
  return undefined;
}

/**
 * The sync loop's iterator, by hand rather than a generator: a generator's
 * yield costs about 50 ns an item, this about a tenth of it. The bar starts at
 * the first next() (when the loop does); an item counts once the loop asks for
 * the next one; return() (a break, an exception in the loop) closes the bar
 * where it stood.
 */
class ProgressIterator<T> implements IterableIterator<T> {
  private bar: ProgressBar | undefined;
  private readonly inner: Iterator<T>;

  constructor(
    items: Iterable<T>,
    private readonly startBar: () => ProgressBar,
  ) {
    this.inner = items[Symbol.iterator]();
  }

  next(): IteratorResult<T> {
    if (this.bar === undefined) this.bar = this.startBar();
    else this.bar.advance();
    let result: IteratorResult<T>;
    try {
      result = this.inner.next();
    } catch (error) {
      this.bar.close(false);
      throw error;
    }
    if (result.done) this.bar.close(true);
    return result;
  }

  return(value?: unknown): IteratorResult<T> {
    this.bar?.close(false);
    this.inner.return?.(value);
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

// A generator body runs at the first next(): the bar starts when the loop does.
async function* asyncProgress<T>(items: AsyncIterable<T>, startBar: () => ProgressBar): AsyncGenerator<T, void, undefined> {
  const bar = startBar();
  let completed = false;
  try {
    for await (const item of items) {
      yield item;
      bar.advance();
    }
    completed = true;
  } finally {
    bar.close(completed);
  }
}

/**
 * Yields the items of `items` while a bar follows them, as `tqdm(iterable)`
 * does; the total defaults to an array's length or a Set's or Map's size.
 * Leaving the loop early (break, an exception) closes the bar where it stood.
 */
export function progress<T>(items: Iterable<T>, options?: ProgressOptions): IterableIterator<T>;
export function progress<T>(items: AsyncIterable<T>, options?: ProgressOptions): AsyncGenerator<T, void, undefined>;
export function progress<T>(items: Iterable<T> | AsyncIterable<T>, options: ProgressOptions = {}): IterableIterator<T> | AsyncGenerator<T, void, undefined> {
  const isSync = typeof (items as Iterable<T>)?.[Symbol.iterator] === "function";
  const isAsync = typeof (items as AsyncIterable<T>)?.[Symbol.asyncIterator] === "function";
  if (!isSync && !isAsync) throw new TypeError(`progress expects an iterable or an async iterable, got ${items === null ? "null" : typeof items}`);
  const total = options.total ?? lengthOf(items);
  checkTotal(total);
  const startBar = (): ProgressBar => new ProgressBar(total, options.desc, "it", options);
  return isSync ? new ProgressIterator(items as Iterable<T>, startBar) : asyncProgress(items as AsyncIterable<T>, startBar);
}

function checkTotal(total: number | undefined): void {
  if (total !== undefined && !(Number.isFinite(total) && total >= 0)) throw new RangeError(`progress: total must be a finite number >= 0, got ${total}`);
}

export interface ByteProgress {
  /** Bytes done so far, and the total when it became known (ocp's ProgressEvent carries both). */
  update(doneBytes: number, totalBytes?: number): void;
  /** The final draw: 100% when every byte was done. */
  close(): void;
}

/** A bar in bytes for a save or restore, fed from `ocp`'s `onProgress` events: `onProgress: (e) => bar.update(e.doneBytes, e.totalBytes)`. */
export function byteProgress(options: { desc?: string; totalBytes?: number; sink?: ProgressSink; clock?: () => number; minIntervalMs?: number }): ByteProgress {
  const bar = new ProgressBar(options.totalBytes, options.desc, "B", options);
  return { update: (done, total) => bar.update(done, total), close: () => bar.close(true) };
}
