/**
 * Checkpoints in object storage: tsnnx saving and restoring 256 MiB (a few
 * large arrays, or 10,000 small ones) to a real S3 server on loopback, against
 * the same checkpoint on the local file system, and against the server's own
 * throughput for the same bytes (one large object put and get with our
 * client), all in the same run. Prints a markdown table of medians and ratios.
 *
 *   npm run build && npx tsx bench/ocp-s3.ts
 *     BENCH_REPEATS=3, BENCH_S3_SERVER=seaweedfs|minio (minio: where it is built, see test/helpers/s3-servers.ts),
 *     BENCH_STATES=large,small, BENCH_COMPRESSION=zstd|none (default zstd, as users save)
 *
 * Random data: constant arrays would compress to nothing and flatter every row.
 */
import "../src/runtime/globals.js";
import { randomFillSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../src/ocp/index.js";
import { objectStorage } from "../src/ocp/storage/object-storage.js";
import { createBucket, startS3Server, type S3ServerKind } from "../test/helpers/s3-servers.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TOTAL_BYTES = 256 * 2 ** 20;
const SERVER = (process.env.BENCH_S3_SERVER ?? "seaweedfs") as S3ServerKind;
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? "zstd") as "zstd" | "none";
type State = "large" | "small";
const STATES = (process.env.BENCH_STATES ?? "large,small").split(",") as State[];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mibps = (seconds: number) => TOTAL_BYTES / 2 ** 20 / seconds;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function tree(state: State): Record<string, jax.Array> {
  const count = state === "large" ? 4 : 10_000;
  const n = TOTAL_BYTES / 4 / count;
  const out: Record<string, jax.Array> = {};
  for (let i = 0; i < count; i++) out[`a${i}`] = jax.numpy.array(randomFillSync(new Float32Array(n)));
  return out;
}

async function main(): Promise<void> {
  const server = await startS3Server(SERVER);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-bench-s3-"));
  try {
    await createBucket(server, "bench");
    const s3 = { endpoint: server.endpoint, region: server.region, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    const storage = objectStorage(s3);
    const rows: string[] = [];

    // The server's own throughput for the same bytes: one object, one PUT and one GET.
    const blob = randomFillSync(new Uint8Array(TOTAL_BYTES));
    const rawPut: number[] = [];
    const rawGet: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      rawPut.push(await timed(() => storage.client.putObject("bench", `raw/${r}`, blob)));
      rawGet.push(await timed(() => storage.client.getObject("bench", `raw/${r}`)));
      await storage.remove(`s3://bench/raw/${r}`);
    }
    rows.push(`| one ${TOTAL_BYTES / 2 ** 20} MiB object, PUT / GET (server baseline) | | ${mibps(median(rawPut)).toFixed(0)} | ${mibps(median(rawGet)).toFixed(0)} | 1.00 | 1.00 |`);

    for (const state of STATES) {
      const state0 = tree(state);
      const times = { local: { save: [] as number[], load: [] as number[] }, s3: { save: [] as number[], load: [] as number[] } };
      for (let r = 0; r < REPEATS; r++) {
        for (const where of ["local", "s3"] as const) {
          const location = where === "local" ? path.join(scratch, `${state}-${r}`) : `s3://bench/${state}-${r}`;
          const ckptr = new ocp.StandardCheckpointer({ compression: COMPRESSION, ...(where === "s3" ? { s3 } : {}) });
          times[where].save.push(await timed(async () => {
            await ckptr.save(location, state0);
            await ckptr.waitUntilFinished();
          }));
          times[where].load.push(await timed(async () => {
            const restored = (await ckptr.restore(location)) as Record<string, jax.Array>;
            Object.values(restored).forEach((a) => a.dispose());
          }));
          if (where === "local") fs.rmSync(location, { recursive: true, force: true });
          else await storage.remove(location);
        }
      }
      const label = state === "large" ? "4 arrays of 64 MiB" : "10,000 arrays of 26 KiB";
      const [ls, ll, ss, sl] = [times.local.save, times.local.load, times.s3.save, times.s3.load].map(median);
      rows.push(`| ${label}, local folder | ${COMPRESSION} | ${mibps(ls).toFixed(0)} | ${mibps(ll).toFixed(0)} | | |`);
      rows.push(
        `| ${label}, ${SERVER} bucket | ${COMPRESSION} | ${mibps(ss).toFixed(0)} | ${mibps(sl).toFixed(0)} | ${(median(rawPut) / ss).toFixed(2)} (${(ls / ss).toFixed(2)} of local) | ${(median(rawGet) / sl).toFixed(2)} (${(ll / sl).toFixed(2)} of local) |`,
      );
      Object.values(state0).forEach((a) => a.dispose());
    }
    console.log(`\n${SERVER} on loopback, ${REPEATS} repeats, medians; ratios are throughput over the server baseline (and over the local folder)\n`);
    console.log("| what | compression | save MiB/s | restore MiB/s | save ratio | restore ratio |");
    console.log("|---|---|---|---|---|---|");
    for (const row of rows) console.log(row);
  } finally {
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
