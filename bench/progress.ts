/**
 * progress() overhead: `npx tsx bench/progress.ts` (add `--quick` for fewer runs).
 *
 * A loop of 100,000 iterations through `progress()` against the same bare
 * loop over the same array. The body is a dot product of 256 random floats
 * (about a microsecond here: far lighter than a training step, so the bar's
 * cost shows). Goal: ratio <= 1.05. The bar renders its HTML and text
 * bundle at every draw (what the kernel sends) into a sink that drops it, so
 * the figure is the bar's own cost, without the transport. A row with a
 * trivial body (`row.length`) is printed for information: it is the
 * per-item cost itself.
 *
 * Runs alternate bare / progress so load on the shared machine hits both
 * alike; every figure is the median of the runs after a warm-up.
 */
import { progress, progressBundle, type ProgressSink } from "../src/display/progress.js";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 5 : 15;
const ITERATIONS = 100_000;
const WIDTH = 256;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const a = Float64Array.from({ length: WIDTH }, () => Math.random());
const rows = Array.from({ length: ITERATIONS }, () => Float64Array.from({ length: WIDTH }, () => Math.random()));
let sinkBytes = 0;
const droppingSink: ProgressSink = {
  draw(state) {
    const bundle = progressBundle(state);
    sinkBytes += bundle["text/html"].length + bundle["text/plain"].length;
  },
};

function dot(row: Float64Array): number {
  let s = 0;
  for (let i = 0; i < WIDTH; i++) s += a[i]! * row[i]!;
  return s;
}

/** Each loop its own function, so that V8 optimises each for its one body (a shared loop would see two bodies). */
const loops = {
  dot: {
    bare(): number {
      let total = 0;
      for (const row of rows) total += dot(row);
      return total;
    },
    progress(): number {
      let total = 0;
      for (const row of progress(rows, { desc: "bench", sink: droppingSink })) total += dot(row);
      return total;
    },
  },
  trivial: {
    bare(): number {
      let total = 0;
      for (const row of rows) total += row.length;
      return total;
    },
    progress(): number {
      let total = 0;
      for (const row of progress(rows, { desc: "bench", sink: droppingSink })) total += row.length;
      return total;
    },
  },
};

/** Wall and CPU time of one run, ms: on a shared, loaded machine the process's CPU time tracks the work far better. */
function time(run: () => number): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  run();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - t, cpu: (used.user + used.system) / 1000 };
}

function measure(name: string, loop: { bare: () => number; progress: () => number }): void {
  for (let i = 0; i < 3; i++) (time(loop.bare), time(loop.progress)); // warm-up
  const bare: { wall: number; cpu: number }[] = [];
  const withBar: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(time(loop.bare));
    withBar.push(time(loop.progress));
  }
  for (const kind of ["wall", "cpu"] as const) {
    const [b, p] = [median(bare.map((r) => r[kind])), median(withBar.map((r) => r[kind]))];
    console.log(
      `${name.padEnd(28)} ${kind.padEnd(4)}  bare ${b.toFixed(2).padStart(8)} ms   progress ${p.toFixed(2).padStart(8)} ms   ratio ${(p / b).toFixed(3)}   (${(((p - b) / ITERATIONS) * 1e6).toFixed(1)} ns per item)`,
    );
  }
}

console.log(`progress() over ${ITERATIONS.toLocaleString("en-US")} iterations, median of ${RUNS} runs (goal: ratio <= 1.05 with the dot-product body)`);
measure(`dot product of ${WIDTH} floats`, loops.dot);
measure("trivial body (information)", loops.trivial);
if (sinkBytes === 0) throw new Error("the bar never drew");
