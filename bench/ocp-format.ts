/**
 * Throughput of the Orbax format layer (src/ocp/format) against plain `fs` on
 * the same bytes in as many files, measured in the same run. No fsync on
 * either side (the checkpoint manager adds it). Prints medians and ratios.
 *
 *   npx tsx bench/ocp-format.ts        (BENCH_REPEATS=3, BENCH_MIB=128)
 *
 * Goal: compression "none" within ~0.8x of plain fs writes and reads.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFromTypedArray, type LeafEntry, readPyTree, writePyTree, type WriteOptions } from "../src/ocp/format/index.js";
import { mapWithLimit } from "../src/ocp/format/concurrency.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TOTAL = Number(process.env.BENCH_MIB ?? 128) * 1024 * 1024;

function tree(count: number): LeafEntry[] {
  const n = Math.floor(TOTAL / 4 / count);
  // Varied values so zstd has real work to do.
  return Array.from({ length: count }, (_, a) => ({
    path: { keys: ["params", a, "kernel", "value"], keyTypes: [2, 1, 2, 2] },
    value: { kind: "array", array: encodeFromTypedArray(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 + a)), "float32", [n]) },
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "tsnnx-bench-format-"));
  const rows: string[] = ["| tree | case | write GB/s | vs fs | read GB/s | vs fs |", "|---|---|---|---|---|---|"];
  try {
    for (const [label, count] of [["4 large arrays", 4], ["2000 small arrays", 2000]] as const) {
      const leaves = tree(count);
      const bytes = leaves.reduce((a, l) => a + (l.value.kind === "array" ? l.value.array.bytes.length : 0), 0);
      const gb = bytes / 1e9;
      let run = 0;
      const fresh = () => join(root, `r${run++}`);

      const cases: WriteOptions[] = [
        { layout: "zarr2", compression: "none" },
        { layout: "ocdbt", compression: "none" },
        { layout: "zarr2", compression: "zstd" },
        { layout: "ocdbt", compression: "zstd" },
      ];
      // Cases take turns within each repeat, so a burst of load on the shared machine hits them all alike.
      const fsWrite: number[] = [];
      const fsRead: number[] = [];
      const writes = cases.map((): number[] => []);
      const reads = cases.map((): number[] => []);
      for (let r = 0; r < REPEATS; r++) {
        const dir = fresh();
        await writePyTree(dir, [], { layout: "zarr2", compression: "none" }); // just makes the folder
        const files = leaves.map((_, i) => join(dir, `f${i}`));
        fsWrite.push(await seconds(() => mapWithLimit(leaves, 16, (l, i) => writeFile(files[i], (l.value as { array: { bytes: Uint8Array } }).array.bytes))));
        fsRead.push(await seconds(() => mapWithLimit(files, 16, (f) => readFile(f))));
        await rm(dir, { recursive: true });
        for (const [c, options] of cases.entries()) {
          const caseDir = fresh();
          writes[c].push(await seconds(() => writePyTree(caseDir, leaves, options)));
          reads[c].push(await seconds(() => readPyTree(caseDir)));
          await rm(caseDir, { recursive: true });
        }
      }
      const baseW = gb / median(fsWrite);
      const baseR = gb / median(fsRead);
      rows.push(`| ${label} | plain fs (baseline) | ${baseW.toFixed(2)} | 1.00 | ${baseR.toFixed(2)} | 1.00 |`);
      for (const [c, options] of cases.entries()) {
        const ws = gb / median(writes[c]);
        const rs = gb / median(reads[c]);
        rows.push(`| ${label} | ${options.layout}, ${options.compression} | ${ws.toFixed(2)} | ${(ws / baseW).toFixed(2)} | ${rs.toFixed(2)} | ${(rs / baseR).toFixed(2)} |`);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.log(`ocp/format throughput, ${TOTAL / 2 ** 20} MiB of float32, median of ${REPEATS}, page cache, no fsync\n`);
  console.log(rows.join("\n"));
}

await main();
