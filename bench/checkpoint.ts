/**
 * Checkpoint throughput: tsnnx against plain `fs` on the same bytes in as
 * many files (with and without fsync), and against Python Orbax (from the test
 * venv) on the same state. Prints a markdown table of medians.
 *
 *   npx tsx bench/checkpoint.ts            (after npm run build, which compiles the libzstd shim;
 *                                           BENCH_REPEATS=3, BENCH_SKIP_PYTHON=1 to leave Python out,
 *                                           BENCH_LAYOUT=zarr2 to measure plain zarr2 folders instead of the default OCDBT,
 *                                           BENCH_STATES=large or small for one of the two states)
 *
 * Goals: save_total and load_total >= 0.8x plain fs, ahead of Orbax;
 * save_blocking <= 10% of save_total.
 */
import "../src/runtime/globals.js";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../src/ocp/index.js";
import { mapWithLimit } from "../src/ocp/format/concurrency.js";
import { reusingZstdCompressor, zstdChunkBytes, zstdCompress, zstdDecompress, zstdDecompressInto, zstdEngine } from "../src/ocp/format/zstd.js";
import { ShapeDtypeStruct } from "../src/runtime/shape-dtype.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TOTAL_BYTES = 256 * 1024 * 1024;
const LAYOUT = process.env.BENCH_LAYOUT as "zarr2" | "ocdbt" | undefined;
type Kind = "large" | "small";
const STATES = (process.env.BENCH_STATES ?? "large,small").split(",") as Kind[];
for (const s of STATES) if (s !== "large" && s !== "small") throw new Error(`BENCH_STATES: "${s}" is not large or small`);

function arraysFor(kind: Kind): Float32Array[] {
  const count = kind === "large" ? 4 : 10_000;
  const n = Math.floor(TOTAL_BYTES / 4 / count);
  // Varied values so zstd has real work (a constant array compresses to nothing).
  return Array.from({ length: count }, (_, a) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 + a)));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gbps = (bytes: number, seconds: number) => bytes / seconds / 1e9;

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Lets the disk finish what earlier steps left it (writeback, and the discards
 * of deleted files on a filesystem mounted with `discard`), so each timed
 * save starts on a quiet disk instead of paying for the one before it.
 */
async function quietDisk(): Promise<void> {
  execFileSync("sync");
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Waits until the arrays are computed, keeping them (blockUntilReady hands back the references it was given). */
async function settle(arrays: jax.Array[]): Promise<void> {
  const ready = await jax.blockUntilReady(arrays.map((x) => x.ref));
  ready.forEach((x) => x.dispose());
}

async function plainFs(dir: string, arrays: Float32Array[], fsync: boolean): Promise<{ save: number; load: number }> {
  await fsp.mkdir(dir, { recursive: true });
  await quietDisk();
  const save = await timeIt(async () => {
    await Promise.all(
      arrays.map(async (a, i) => {
        const handle = await fsp.open(path.join(dir, String(i)), "w");
        await handle.writeFile(new Uint8Array(a.buffer));
        if (fsync) await handle.sync();
        await handle.close();
      }),
    );
  });
  const load = await timeIt(async () => {
    await Promise.all(arrays.map((_, i) => fsp.readFile(path.join(dir, String(i)))));
  });
  await fsp.rm(dir, { recursive: true, force: true });
  return { save, load };
}

async function tsnnx(dir: string, arrays: Float32Array[], compression: "none" | "zstd"): Promise<{ blocking: number; total: number; load: number }> {
  const state: Record<string, jax.Array> = {};
  arrays.forEach((a, i) => (state[`p${i}`] = jax.numpy.array(a, { shape: [a.length] })));
  await settle(Object.values(state));
  const template = Object.fromEntries(arrays.map((a, i) => [`p${i}`, new ShapeDtypeStruct([a.length], jax.DType.Float32)]));
  const mngr = new ocp.CheckpointManager(dir, { compression, ...(LAYOUT ? { layout: LAYOUT } : {}) });
  await quietDisk();
  const t0 = performance.now();
  await mngr.save(0, { args: ocp.args.StandardSave(state) });
  const blocking = (performance.now() - t0) / 1000;
  await mngr.waitUntilFinished();
  const total = (performance.now() - t0) / 1000;
  Object.values(state).forEach((x) => x.dispose());
  let restored: Record<string, jax.Array> = {};
  const load = await timeIt(async () => {
    restored = (await mngr.restore(0, { args: ocp.args.StandardRestore(template) })) as Record<string, jax.Array>;
    await settle(Object.values(restored));
  });
  Object.values(restored).forEach((x) => x.dispose());
  await mngr.close();
  await fsp.rm(dir, { recursive: true, force: true });
  return { blocking, total, load };
}

/**
 * The device transfers alone, which every save and restore includes and
 * plain fs does not: reading the arrays out of jax-js (`data()`, two copies
 * of every byte in jax-js 0.1.25) and making arrays from host bytes.
 */
async function deviceTransfers(arrays: Float32Array[]): Promise<{ save: number; load: number }> {
  const held = arrays.map((a) => jax.numpy.array(a, { shape: [a.length] }));
  await settle(held);
  const save = await timeIt(async () => {
    for (const x of held) await x.data();
  });
  let made: jax.Array[] = [];
  const load = await timeIt(async () => {
    made = arrays.map((a) => jax.numpy.array(a, { shape: [a.length] }));
    await settle(made);
  });
  made.forEach((x) => x.dispose());
  return { save, load };
}

/**
 * zstd alone, in memory: every array compressed, then decoded, in chunks of
 * the size the writer uses, 16 chunks in flight, into reused memory where the
 * engine allows. No disk and no device: the most a zstd save or load could
 * reach here.
 */
async function zstdAlone(arrays: Float32Array[]): Promise<{ save: number; load: number }> {
  const chunks = arrays.flatMap((a) => {
    const bytes = new Uint8Array(a.buffer);
    return Array.from({ length: Math.ceil(bytes.length / zstdChunkBytes) }, (_, i) => bytes.subarray(i * zstdChunkBytes, (i + 1) * zstdChunkBytes));
  });
  const lanes = 16;
  const compressor = reusingZstdCompressor(1);
  const save = await timeIt(async () => {
    await mapWithLimit(chunks, lanes, async (c) => (await compressor.compress(c)).release());
  });
  const frames = await mapWithLimit(chunks, lanes, (c) => zstdCompress(c, 1));
  const spare = Array.from({ length: lanes }, () => new Uint8Array(zstdChunkBytes));
  const load = await timeIt(async () => {
    await mapWithLimit(frames, lanes, async (f, i) => {
      const into = spare.pop()!;
      if (!(await zstdDecompressInto(f, into.subarray(0, chunks[i].length), `chunk ${i}`))) await zstdDecompress(f, `chunk ${i}`);
      spare.push(into);
    });
  });
  return { save, load };
}

function pythonOrbax(dir: string, kind: Kind): Record<string, number> | undefined {
  if (process.env.BENCH_SKIP_PYTHON) return undefined;
  try {
    const python = execFileSync("bash", ["test/python/ensure-venv.sh"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    fs.mkdirSync(dir, { recursive: true });
    const out = execFileSync(python, ["test/python/bench_orbax.py", dir, kind, String(REPEATS)], { encoding: "utf8", env: { ...process.env, JAX_PLATFORMS: "cpu" } });
    return JSON.parse(out.trim().split("\n").at(-1)!);
  } catch (e) {
    process.stderr.write(`Python Orbax skipped: ${(e as Error).message}\n`);
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await jax.init("wasm");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-bench-ckpt-"));
  const rows: string[][] = [];
  const row = (state: string, engine: string, blocking: number | undefined, save: number | undefined, load: number | undefined, base?: { save: number; load: number }) =>
    rows.push([
      state,
      engine,
      blocking === undefined ? "" : `${(blocking * 1000).toFixed(0)} ms${save ? ` (${((blocking / save) * 100).toFixed(0)}%)` : ""}`,
      save === undefined ? "" : `${gbps(TOTAL_BYTES, save).toFixed(2)}${base ? ` (${(base.save / save).toFixed(2)}x)` : ""}`,
      load === undefined ? "" : `${gbps(TOTAL_BYTES, load).toFixed(2)}${base ? ` (${(base.load / load).toFixed(2)}x)` : ""}`,
    ]);
  try {
    for (const kind of STATES) {
      const arrays = arraysFor(kind);
      const label = kind === "large" ? "4 x 64 MiB" : "10,000 x 26 KiB";
      const fsRuns = { nosync: [] as { save: number; load: number }[], fsync: [] as { save: number; load: number }[], device: [] as { save: number; load: number }[], zstd: [] as { save: number; load: number }[] };
      const ours = { none: [] as { blocking: number; total: number; load: number }[], zstd: [] as { blocking: number; total: number; load: number }[] };
      for (let r = 0; r < REPEATS; r++) {
        fsRuns.nosync.push(await plainFs(path.join(root, "fs"), arrays, false));
        fsRuns.fsync.push(await plainFs(path.join(root, "fs"), arrays, true));
        fsRuns.device.push(await deviceTransfers(arrays));
        fsRuns.zstd.push(await zstdAlone(arrays));
        ours.none.push(await tsnnx(path.join(root, "none"), arrays, "none"));
        ours.zstd.push(await tsnnx(path.join(root, "zstd"), arrays, "zstd"));
        process.stderr.write(`${label}: round ${r + 1}/${REPEATS}\n`);
      }
      const med = (xs: { save: number; load: number }[]) => ({ save: median(xs.map((x) => x.save)), load: median(xs.map((x) => x.load)) });
      const fsync = med(fsRuns.fsync);
      row(label, "plain fs, no fsync", undefined, med(fsRuns.nosync).save, med(fsRuns.nosync).load);
      row(label, "plain fs + fsync (baseline)", undefined, fsync.save, fsync.load);
      row(label, "jax-js device transfers alone (data() / array())", undefined, med(fsRuns.device).save, med(fsRuns.device).load, fsync);
      row(label, `zstd alone, in memory (${zstdEngine}, level 1, all cores)`, undefined, med(fsRuns.zstd).save, med(fsRuns.zstd).load, fsync);
      for (const c of ["none", "zstd"] as const) {
        const runs = ours[c];
        row(label, `tsnnx CheckpointManager${LAYOUT ? ` (${LAYOUT})` : ""}, ${c === "zstd" ? `zstd (${zstdEngine})` : c}`, median(runs.map((x) => x.blocking)), median(runs.map((x) => x.total)), median(runs.map((x) => x.load)), fsync);
      }
      const py = pythonOrbax(path.join(root, "py"), kind);
      if (py) {
        row(label, "Python Orbax StandardCheckpointer (zstd)", py.std_blocking, py.std_total, py.std_load, fsync);
        row(label, "Python Orbax CheckpointManager async (zstd)", py.mgr_blocking, py.mgr_total, undefined, fsync);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(`\nCheckpoint throughput, 256 MiB float32, median of ${REPEATS} (GB/s; ratio vs plain fs + fsync; blocking as % of save_total)\n`);
  console.log("| state | engine | save_blocking | save_total GB/s | load_total GB/s |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

await main();
