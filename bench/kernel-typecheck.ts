/**
 * The latencies a notebook user feels between cells, tsnnx against tslab in
 * the same run, each kernel fresh, over ZMQ: a new, distinct type-checked
 * cell (after 5, 100 and 300 earlier cells), `complete_request` for
 * `const q = Math.ma`, `inspect_request` for `Math.max`, re-running `1+1`,
 * and the kernel's resident memory growth over 300 new cells. Completion and
 * inspection are also timed as a user meets them: the first request after a
 * new cell, with a text not asked before (a repeated request finds the
 * checker's program of the last one and measures only the look-up); a
 * member after a dot and a name in scope apart, as tsnnx answers them from
 * different checkers.
 *
 *   npm run build && npx tsx bench/kernel-typecheck.ts [--samples 30] [--only tsnnx|tslab]
 *
 * Goals (issue 12): new cells <= 0.5x tslab and <= 10 ms, still after 300
 * cells; completion and inspection <= 0.5x tslab; RSS growth < 100 MB.
 */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { KernelClient, withTimeout } from "../test/kernel/client.js";
import { stopKernel, tslabArgv, tsnnxArgv } from "./kernel-contenders.js";

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const SAMPLES = flag("samples", 30);
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The distinct cell: a typed const, a function over it, a call. */
const distinctCell = (n: number): string => `const v${n}: number = ${n} * 2; function f${n}(a: number): number { return a + v${n}; } f${n}(1)`;

/** Resident memory of the kernel and its child processes (tsnnx's type checker, tsgo, is one). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const own = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number),
  );
  return children.reduce((sum, child) => sum + rssMiB(child), own);
}

interface Figures {
  newCell: Record<5 | 100 | 300, number>;
  complete: number;
  inspect: number;
  completeAfterCell: number;
  /** A name in scope, not a member: tsnnx answers it from another checker than a member after a dot (notebook-types.ts). */
  completeNameAfterCell: number;
  inspectAfterCell: number;
  rerun: number;
  /** A request that does no work (kernel_info): what every reply costs, the floor of the rows above. */
  roundTrip: number;
  rssGrowth: number;
}

async function measure(argv: string[], name: string): Promise<Figures> {
  const kernel = await KernelClient.start({ argv });
  try {
    const timed = async (msgType: string, content: Record<string, unknown>): Promise<{ ms: number; content: Record<string, unknown> }> => {
      const started = performance.now();
      const { reply } = await kernel.send("shell", msgType, content);
      const answer = await withTimeout(reply, 120_000, `${name}: ${msgType} ${JSON.stringify(content).slice(0, 60)} after ${cells} cells`);
      const ms = performance.now() - started;
      if (answer.content.status !== "ok") throw new Error(`${name}: ${msgType} ${JSON.stringify(content).slice(0, 80)} failed: ${JSON.stringify(answer.content).slice(0, 300)}`);
      return { ms, content: answer.content };
    };
    const execute = (code: string) => timed("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    let cells = 0;
    const newCells = async (count: number): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push((await execute(distinctCell(++cells))).ms);
      return times;
    };
    await newCells(5);
    const roundTrips: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await withTimeout((await kernel.send("shell", "kernel_info_request", {})).reply, 10_000, `${name}: kernel_info_request`);
      roundTrips.push(performance.now() - started);
    }
    const rssBefore = rssMiB(kernel.process.pid!);
    const after5 = median(await newCells(SAMPLES));
    await newCells(100 - cells);
    const after100 = median(await newCells(SAMPLES));
    await newCells(300 - cells);
    const after300 = median(await newCells(SAMPLES));
    const rssGrowth = rssMiB(kernel.process.pid!) - rssBefore;

    const completeCode = "const q = Math.ma";
    const completions: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms, content } = await timed("complete_request", { code: completeCode, cursor_pos: completeCode.length });
      if (!(content.matches as string[]).includes("max")) throw new Error(`${name}: completion of Math.ma lacks max: ${JSON.stringify(content.matches)}`);
      completions.push(ms);
    }
    const inspections: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms, content } = await timed("inspect_request", { code: "Math.max", cursor_pos: 8, detail_level: 0 });
      if (!content.found) throw new Error(`${name}: inspect_request found nothing for Math.max`);
      inspections.push(ms);
    }
    const afterCell = async (msgType: string, content: (i: number) => Record<string, unknown>, answers: (reply: Record<string, unknown>) => boolean): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        await newCells(1);
        const { ms, content: reply } = await timed(msgType, content(i));
        if (!answers(reply)) throw new Error(`${name}: ${msgType} ${JSON.stringify(content(i))} answered ${JSON.stringify(reply).slice(0, 200)}`);
        times.push(ms);
      }
      return median(times);
    };
    const offers = (match: string) => (reply: Record<string, unknown>) => (reply.matches as string[]).includes(match);
    const completeAfterCell = await afterCell("complete_request", (i) => ({ code: `const q${i} = Math.ma`, cursor_pos: `const q${i} = Math.ma`.length }), offers("max"));
    const completeNameAfterCell = await afterCell("complete_request", (i) => ({ code: `const r${i} = Ma`, cursor_pos: `const r${i} = Ma`.length }), offers("Math"));
    const inspectAfterCell = await afterCell("inspect_request", (i) => ({ code: `Math.max(${i})`, cursor_pos: 8, detail_level: 0 }), (reply) => reply.found === true);
    const reruns: number[] = [];
    for (let i = 0; i < SAMPLES; i++) reruns.push((await execute("1+1")).ms);
    return {
      newCell: { 5: after5, 100: after100, 300: after300 },
      complete: median(completions),
      inspect: median(inspections),
      completeAfterCell,
      completeNameAfterCell,
      inspectAfterCell,
      rerun: median(reruns),
      roundTrip: median(roundTrips),
      rssGrowth,
    };
  } finally {
    await stopKernel(kernel);
  }
}

const contenders: { name: string; argv: string[] | undefined }[] = [
  { name: "tsnnx", argv: tsnnxArgv() },
  { name: "tslab 1", argv: only === undefined || only === "tslab" ? tslabArgv() : undefined },
].filter((c) => only === undefined || c.name.startsWith(only));

const results = new Map<string, Figures>();
for (const { name, argv } of contenders) {
  if (!argv) {
    console.log(`${name}: not measured (npm install tslab failed)`);
    continue;
  }
  process.stderr.write(`${name}: measuring ...\n`);
  // One contender failing (a hung reply) still leaves the other's figures.
  await measure(argv, name).then(
    (figures) => results.set(name, figures),
    (error: Error) => console.log(`${name}: not measured: ${error.message}`),
  );
}

const ours = results.get("tsnnx");
const theirs = results.get("tslab 1");
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "" : `${(a / b).toFixed(2)}x`);
const ms = (value: number | undefined) => (value === undefined ? "" : value.toFixed(1));
console.log(`\nInteractive latencies, medians of ${SAMPLES} (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)\n`);
console.log("| measure | tsnnx | tslab | tsnnx / tslab | goal |");
console.log("|---|---:|---:|---:|---|");
for (const after of [5, 100, 300] as const) {
  console.log(`| new distinct type-checked cell, after ${after} cells (ms) | ${ms(ours?.newCell[after])} | ${ms(theirs?.newCell[after])} | ${ratio(ours?.newCell[after], theirs?.newCell[after])} | <= 0.5x and <= 10 ms |`);
}
console.log(`| complete_request \`const q = Math.ma\` (ms) | ${ms(ours?.complete)} | ${ms(theirs?.complete)} | ${ratio(ours?.complete, theirs?.complete)} | <= 0.5x |`);
console.log(`| inspect_request \`Math.max\` (ms) | ${ms(ours?.inspect)} | ${ms(theirs?.inspect)} | ${ratio(ours?.inspect, theirs?.inspect)} | <= 0.5x |`);
console.log(`| complete_request, first after a new cell, new text (ms) | ${ms(ours?.completeAfterCell)} | ${ms(theirs?.completeAfterCell)} | ${ratio(ours?.completeAfterCell, theirs?.completeAfterCell)} | <= 0.5x |`);
console.log(`| complete_request \`const r = Ma\` (a name in scope), first after a new cell (ms) | ${ms(ours?.completeNameAfterCell)} | ${ms(theirs?.completeNameAfterCell)} | ${ratio(ours?.completeNameAfterCell, theirs?.completeNameAfterCell)} | <= 0.5x |`);
console.log(`| inspect_request, first after a new cell, new text (ms) | ${ms(ours?.inspectAfterCell)} | ${ms(theirs?.inspectAfterCell)} | ${ratio(ours?.inspectAfterCell, theirs?.inspectAfterCell)} | <= 0.5x |`);
console.log(`| re-run \`1+1\` (ms) | ${ms(ours?.rerun)} | ${ms(theirs?.rerun)} | ${ratio(ours?.rerun, theirs?.rerun)} | keep |`);
console.log(`| kernel_info_request, the round trip of any request (ms) | ${ms(ours?.roundTrip)} | ${ms(theirs?.roundTrip)} | ${ratio(ours?.roundTrip, theirs?.roundTrip)} | |`);
console.log(`| RSS growth over cells 5..300 (MiB) | ${ms(ours?.rssGrowth)} | ${ms(theirs?.rssGrowth)} | | < 100 MB |`);
