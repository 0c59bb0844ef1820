/**
 * `%time`, `%%time` and `%timeit`, printing exactly what IPython prints
 * (`CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms` / `Wall time: 3.4 ms`;
 * `1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)`).
 * A timing counts the device work it started: a promise is awaited and
 * jax-js arrays in the result are waited for (`blockUntilReady`), since
 * jax-js computes in the background and an unawaited result would time
 * only the dispatch.
 */
import { performance } from "node:perf_hooks";
import * as jax from "@jax-js/jax";
import type { CellIO, ExecuteOutcome } from "../exec/types.js";
import { currentCellIO } from "./cell-io.js";
import type { RuntimeMagic } from "./registry.js";

/** IPython's `%timeit` default repeat count. */
export const DEFAULT_REPEAT = 7;
/** IPython's autorange: the first power of ten of loops whose total takes at least this long. */
const AUTORANGE_SECONDS = 0.2;
const AUTORANGE_MAX_POWER = 9;

/** Python's `"%.*g" % (precision, value)`. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return "0";
  if (!Number.isFinite(value)) return String(value);
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, exp] = value.toExponential(precision - 1).split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
    return `${stripZeros(mantissa)}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(Math.max(0, precision - 1 - exponent)));
}

function stripZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** IPython's `_format_time`: `1.23 ms`, `456 ns`, `2min 3s`. */
export function formatTime(seconds: number, precision = 3): string {
  if (seconds >= 60) {
    const parts: [string, number][] = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
    const out: string[] = [];
    let leftover = seconds;
    for (const [suffix, length] of parts) {
      const value = Math.trunc(leftover / length);
      if (value > 0) {
        leftover = leftover % length;
        out.push(`${value}${suffix}`);
      }
      if (leftover < 1) break;
    }
    return out.join(" ");
  }
  const units = ["s", "ms", "µs", "ns"];
  const scaling = [1, 1e3, 1e6, 1e9];
  // Python's -int(floor(log10(t)) // 3): floor division, then negated.
  const order = seconds > 0 ? Math.min(-Math.floor(Math.floor(Math.log10(seconds)) / 3), 3) : 3;
  return `${formatG(seconds * scaling[order]!, precision)} ${units[order]}`;
}

/** Python's `{n:,}`. */
function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export interface TimeitResult {
  loops: number;
  repeat: number;
  /** Seconds per run of `loops` loops. */
  allRuns: number[];
}

/** IPython's TimeitResult: mean and population standard deviation of the per-loop times. */
export function formatTimeitResult({ loops, repeat, allRuns }: TimeitResult, precision = 3): string {
  const timings = allRuns.map((t) => t / loops);
  const mean = exactSum(timings) / timings.length;
  const std = Math.sqrt(exactSum(timings.map((t) => (t - mean) ** 2)) / timings.length);
  return (
    `${formatTime(mean, precision)} ± ${formatTime(std, precision)} per loop ` +
    `(mean ± std. dev. of ${repeat} run${repeat === 1 ? "" : "s"}, ${withThousands(loops)} loop${loops === 1 ? "" : "s"} each)`
  );
}

/** A compensated (Neumaier) sum, as Python's math.fsum that IPython uses: equal runs give a deviation of exactly 0. */
function exactSum(values: number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const v of values) {
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + compensation;
}

/** IPython's warning when the slowest run took over 4 times the fastest. */
export function cachingWarning({ loops, allRuns }: TimeitResult): string | null {
  const best = Math.min(...allRuns) / loops;
  const worst = Math.max(...allRuns) / loops;
  if (worst > 4 * best && best > 0 && worst > 1e-6) {
    return `The slowest run took ${(worst / best).toFixed(2)} times longer than the fastest. This could mean that an intermediate result is being cached.`;
  }
  return null;
}

/** Waits for what `value` still computes: a promise's value, then any jax-js arrays in it. */
export async function settled(value: unknown): Promise<unknown> {
  const resolved = isPromiseLike(value) ? await value : value;
  await blockOnArrays(resolved, 0);
  return resolved;
}

async function blockOnArrays(value: unknown, depth: number): Promise<void> {
  if (value instanceof jax.Array) {
    await value.blockUntilReady();
    return;
  }
  if (depth > 3 || typeof value !== "object" || value === null) return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) await Promise.all(value.map((v) => blockOnArrays(v, depth + 1)));
  else if (proto === Object.prototype || proto === null) await Promise.all(Object.values(value).map((v) => blockOnArrays(v, depth + 1)));
}

/** Timed results nobody keeps: their arrays are released, so a long %timeit does not fill device memory. */
function releaseArrays(value: unknown): void {
  if (value instanceof jax.Array) value.dispose();
  else if (Array.isArray(value)) value.forEach(releaseArrays);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

interface Clock {
  wall: number;
  cpu: NodeJS.CpuUsage;
}

const start = (): Clock => ({ wall: performance.now(), cpu: process.cpuUsage() });

/** The two lines of `%time`, from a clock started before the work. */
function timeReport(from: Clock): string {
  const cpu = process.cpuUsage(from.cpu);
  const wall = (performance.now() - from.wall) / 1000;
  const user = cpu.user / 1e6;
  const sys = cpu.system / 1e6;
  return `CPU times: user ${formatTime(user)}, sys: ${formatTime(sys)}, total: ${formatTime(user + sys)}\nWall time: ${formatTime(wall)}\n`;
}

/** IPython adds a `Compiler :` line when compiling the cell took longer than this. */
const COMPILER_REPORT_SECONDS = 0.1;

/**
 * `%%time`: the whole cell's run, from when its code starts; checking and
 * compiling it come before and are reported on IPython's `Compiler :` line
 * when they took over 0.1 s. As in IPython, a cell that fails shows its
 * error and no times.
 */
export async function timeCell(io: CellIO, run: (started: () => void) => Promise<ExecuteOutcome>): Promise<ExecuteOutcome> {
  const compileStart = performance.now();
  let compileSeconds = 0;
  let clock = start();
  const outcome = await run(() => {
    compileSeconds = (performance.now() - compileStart) / 1000;
    clock = start();
  });
  if (outcome.status === "ok") io.stream("stdout", timeReport(clock) + (compileSeconds > COMPILER_REPORT_SECONDS ? `Compiler : ${formatTime(compileSeconds)}\n` : ""));
  return outcome;
}

export const timeMagic: RuntimeMagic = {
  name: "time",
  summary: "Time a statement or expression once: CPU (user, sys) and wall time, waiting for its device work. `%time const y = f(x)` binds y; `%%time` on a cell's first line times the whole cell.",
  synopsis: "<statement>",
  flags: [],
  operands: { kind: "statement" },
  cell: true,
  async run({ operands }) {
    const clock = start();
    const value = await settled((operands[0] as () => unknown)());
    currentCellIO().stream("stdout", timeReport(clock));
    return value;
  },
};

/**
 * Loops per run: `-n` if given, else IPython's autorange (1, 10, 100, ...
 * until one batch takes 0.2 s). The measuring batches are not counted.
 */
export async function chooseLoops(runBatch: (loops: number) => Promise<number>): Promise<number> {
  let loops = 1;
  for (let power = 0; power <= AUTORANGE_MAX_POWER; power++) {
    loops = 10 ** power;
    if ((await runBatch(loops)) >= AUTORANGE_SECONDS) break;
  }
  return loops;
}

export const timeitMagic: RuntimeMagic = {
  name: "timeit",
  summary: "Time a statement over repeated runs: mean ± std. dev. per loop, as IPython's %timeit (the loop count chosen so a run takes at least 0.2 s unless -n gives it).",
  synopsis: "[-n N] [-r R] <statement>",
  flags: [
    { name: "number", short: "n", value: { kind: "integer", min: 1 }, help: "loops per run (default: chosen by autorange)" },
    { name: "repeat", short: "r", value: { kind: "integer", min: 1 }, help: `runs (default ${DEFAULT_REPEAT})` },
  ],
  operands: { kind: "statement" },
  async run({ flags, operands }) {
    const statement = operands[0] as () => unknown;
    // Only a statement that returns a promise or arrays is awaited: a plain one loops synchronously, as IPython's would.
    const runBatch = async (loops: number): Promise<number> => {
      const began = performance.now();
      for (let i = 0; i < loops; i++) {
        const value = statement();
        if (value !== undefined && value !== null && typeof value === "object") releaseArrays(await settled(value));
      }
      return (performance.now() - began) / 1000;
    };
    const loops = (flags.number as number | undefined) ?? (await chooseLoops(runBatch));
    const repeat = (flags.repeat as number | undefined) ?? DEFAULT_REPEAT;
    const allRuns: number[] = [];
    for (let r = 0; r < repeat; r++) allRuns.push(await runBatch(loops));
    const result = { loops, repeat, allRuns };
    const warning = cachingWarning(result);
    currentCellIO().stream("stdout", `${warning ? warning + "\n" : ""}${formatTimeitResult(result)}\n`);
    return undefined;
  },
};
