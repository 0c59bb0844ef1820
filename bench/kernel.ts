/**
 * Kernel latency over ZMQ from Node: start-up to the first kernel_info_reply,
 * and the `1+1` execute round trip (request sent to execute_reply received),
 * for the built tsnnx kernel against ipykernel (the shared venv's) and, when
 * `npm install tslab` works in a temporary folder, tslab.
 *
 *   npm run build && npx tsx bench/kernel.ts [--rounds 200] [--starts 5] [--only NAME]
 *
 * Goals: start-up < 300 ms, round trip < 1.5 ms.
 */
import { execFileSync, spawnSync } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import { KernelClient, REPO, withTimeout } from "../test/kernel/client.js";
import { stopKernel, tslabArgv, tsnnxArgv } from "./kernel-contenders.js";

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const ROUNDS = flag("rounds", 200);
const STARTS = flag("starts", 5);

interface Contender {
  name: string;
  argv: string[];
  /** Cells run before timing (the first cell loads compilers). */
  warmup: string[];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(contender: Contender): Promise<{ startup: number[]; roundTrip: number[] }> {
  const startup: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const kernel = await KernelClient.start({ argv: contender.argv });
    startup.push(kernel.startupMs);
    process.stderr.write(`${contender.name}: start ${i + 1}: ${kernel.startupMs.toFixed(0)} ms\n`);
    if (i < STARTS - 1) {
      await stopKernel(kernel);
      continue;
    }
    const execute = async (code: string): Promise<void> => {
      const { reply } = await kernel.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
      const answer = await withTimeout(reply, 300000, `${contender.name}: reply to ${code}`);
      if (answer.content.status !== "ok") throw new Error(`${contender.name}: ${code} failed: ${JSON.stringify(answer.content)}`);
    };
    for (const code of contender.warmup) await execute(code);
    const roundTrip: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      await execute("1+1");
      roundTrip.push(performance.now() - started);
    }
    await stopKernel(kernel);
    return { startup, roundTrip };
  }
  throw new Error("unreachable");
}

const entry = tsnnxArgv();
const python = execFileSync("bash", [join(REPO, "test/python/ensure-venv.sh")], { encoding: "utf8" }).trim();
const vmKernel = join(REPO, "dist/test/kernel/vm-kernel.js");
const contenders: Contender[] = [
  { name: "tsnnx", argv: entry, warmup: ["1+1", "1+1"] },
  { name: "tsnnx, `%typecheck off`", argv: entry, warmup: ["%typecheck off", "1+1"] },
  // The protocol server alone: the test-only vm executor evaluates plain JavaScript.
  { name: "tsnnx server + vm test executor", argv: [process.execPath, vmKernel, "-f", "{connection_file}"], warmup: ["1+1"] },
  { name: "ipykernel", argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], warmup: ["1+1"] },
];
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const tslab = only === undefined || "tslab".includes(only) ? tslabArgv() : undefined;
if (tslab) contenders.push({ name: "tslab", argv: tslab, warmup: ["1+1", "1+1"] });

interface Row {
  name: string;
  startupMedian: number;
  starts: number[];
  roundTripMedian: number;
  roundTripP90: number;
}
const rows: Row[] = [];
const failures: string[] = [];
for (const contender of contenders.filter((c) => only === undefined || c.name.includes(only))) {
  try {
    const { startup, roundTrip } = await measure(contender);
    const s = [...startup].sort((a, b) => a - b);
    const rt = [...roundTrip].sort((a, b) => a - b);
    rows.push({ name: contender.name, startupMedian: quantile(s, 0.5), starts: s, roundTripMedian: quantile(rt, 0.5), roundTripP90: quantile(rt, 0.9) });
  } catch (error) {
    failures.push(`| ${contender.name} | failed: ${(error as Error).message.split("\n")[0]} | | | | | |`);
  }
}
if (!tslab && only === undefined) failures.push("| tslab | not measured (npm install tslab failed) | | | | | |");
// What the machine charges for starting any node process, for scale.
const nodeBoot: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const started = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  nodeBoot.push(performance.now() - started);
}
nodeBoot.sort((a, b) => a - b);
// ipykernel, measured in this same run, is the reference the ratios are taken against.
const reference = rows.find((row) => row.name === "ipykernel");
const ratio = (value: number, base: number | undefined) => (base === undefined ? "" : `${(value / base).toFixed(2)}x`);
console.log(`\nKernel latency (${STARTS} starts, ${ROUNDS} round trips; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores; goals: start-up < 300 ms, round trip < 1.5 ms)\n`);
console.log("| kernel | start-up to kernel_info_reply, median ms | vs ipykernel | each start, ms | `1+1` round trip, median ms | vs ipykernel | p90 ms |");
console.log("|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(`| ${row.name} | ${row.startupMedian.toFixed(0)} | ${ratio(row.startupMedian, reference?.startupMedian)} | ${row.starts.map((v) => v.toFixed(0)).join(", ")} | ${row.roundTripMedian.toFixed(2)} | ${ratio(row.roundTripMedian, reference?.roundTripMedian)} | ${row.roundTripP90.toFixed(2)} |`);
}
for (const failure of failures) console.log(failure);
console.log(`\nFor scale: \`node -e 0\` (start and exit of an empty node process) takes ${quantile(nodeBoot, 0.5).toFixed(0)} ms (median) on this machine now.`);
