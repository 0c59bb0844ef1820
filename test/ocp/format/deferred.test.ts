import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type LeafToWrite, readPyTree, writePyTree } from "../../../src/ocp/format/index.js";
import { arrayOf, leafByName, rejection, scratch } from "./helpers.js";

const MiB = 2 ** 20;
const ramp = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 + seed));

/** Deferred float32 leaves that record how many fetches run at once. */
function deferredLeaves(arrays: Record<string, { data: Float32Array; shape: number[] }>, log: { running: number; most: number; order: string[] }): LeafToWrite[] {
  return Object.entries(arrays).map(([name, { data, shape }]) => ({
    path: { keys: [name], keyTypes: [2] },
    value: {
      kind: "deferred",
      dtype: "float32",
      shape,
      fetch: async () => {
        log.running++;
        log.most = Math.max(log.most, log.running);
        log.order.push(name);
        await new Promise((r) => setTimeout(r, 5));
        log.running--;
        return new Uint8Array(data.buffer.slice(0));
      },
    },
  }));
}

describe("ocp/format: deferred arrays (fetched as the writer reaches them)", () => {
  for (const layout of ["ocdbt", "zarr2"] as const) {
    for (const compression of ["none", "zstd"] as const) {
      it(`${layout}, ${compression}: writes the fetched bytes, fetching each array once and one at a time`, async function () {
        this.timeout(120_000);
        const { dir, cleanup } = await scratch();
        try {
          const arrays = {
            // Chunks of 4 MiB and more get an OCDBT data file of their own; the others are packed.
            big: { data: ramp(2 * MiB, 1), shape: [2048, 1024] },
            zeros: { data: new Float32Array(MiB + 5), shape: [MiB + 5] }, // compresses below OCDBT's 1024-byte inline limit
            small: { data: ramp(3000, 2), shape: [1000, 3] },
            tiny: { data: Float32Array.of(1, 2, 3), shape: [3] },
          };
          const log = { running: 0, most: 0, order: [] as string[] };
          // Flushing each data file as written is taken once per layout.
          const flush = (layout === "ocdbt") === (compression === "none");
          await writePyTree(dir, [...deferredLeaves(arrays, log), { path: { keys: ["s"], keyTypes: [2] }, value: { kind: "scalar", value: 7 } }], { layout, compression, flush });
          assert.equal(log.most, 1, "fetches overlapped");
          assert.deepEqual([...log.order].sort(), Object.keys(arrays).sort(), "each array fetched once");
          const read = await readPyTree(dir);
          for (const [name, { data, shape }] of Object.entries(arrays)) {
            const got = arrayOf(leafByName(read, name));
            assert.deepEqual([got.dtype, got.shape], ["float32", shape], name);
            assert.ok(Buffer.from(got.bytes).equals(Buffer.from(data.buffer)), `bytes of ${name}`);
          }
          if (layout === "ocdbt") {
            const files = await readdir(join(dir, "d"));
            const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, "d", f))).size));
            // The zeros went inline under zstd: no data file holds them.
            const bigOwn = sizes.filter((s) => s >= 4 * MiB).length;
            assert.equal(bigOwn, compression === "none" ? 2 : 1, `data file sizes ${sizes}`);
          }
        } finally {
          await cleanup();
        }
      });
    }
  }

  it("ocdbt, none: streams a big single-chunk array into its data file part by part, and fetches the rest", async () => {
    const { dir, cleanup } = await scratch();
    try {
      const big = ramp(2 * MiB, 3);
      const small = ramp(1000, 4);
      const used: string[] = [];
      const streamed = (name: string, data: Float32Array, shape: number[]): LeafToWrite => ({
        path: { keys: [name], keyTypes: [2] },
        value: {
          kind: "deferred",
          dtype: "float32",
          shape,
          fetch: async () => {
            used.push(`${name}:fetch`);
            return new Uint8Array(data.buffer.slice(0));
          },
          stream: async function* () {
            used.push(`${name}:stream`);
            const bytes = new Uint8Array(data.buffer);
            for (let at = 0; at < bytes.length; at += 3 * MiB) yield bytes.slice(at, at + 3 * MiB);
          },
        },
      });
      await writePyTree(dir, [streamed("big", big, [2048, 1024]), streamed("small", small, [1000])], { layout: "ocdbt", compression: "none", flush: true });
      assert.deepEqual(used.sort(), ["big:stream", "small:fetch"]);
      const read = await readPyTree(dir);
      assert.ok(Buffer.from(arrayOf(leafByName(read, "big")).bytes).equals(Buffer.from(big.buffer)), "bytes of big");
      assert.ok(Buffer.from(arrayOf(leafByName(read, "small")).bytes).equals(Buffer.from(small.buffer)), "bytes of small");

      // A stream that ends early is an error naming the value, not a short array on disk.
      const short: LeafToWrite = {
        path: { keys: ["w"], keyTypes: [2] },
        value: { kind: "deferred", dtype: "float32", shape: [2 * MiB], fetch: async () => new Uint8Array(8 * MiB), stream: async function* () { yield new Uint8Array(5 * MiB); } },
      };
      assert.match(await rejection(() => writePyTree(join(dir, "short"), [short], { layout: "ocdbt", compression: "none" })), /value "w\/0" should be 8388608 bytes, its stream gave 5242880/);
    } finally {
      await cleanup();
    }
  });

  it("names the leaf when a fetch hands back the wrong number of bytes, or fails", async () => {
    const { dir, cleanup } = await scratch();
    try {
      const short: LeafToWrite = { path: { keys: ["w"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [4], fetch: async () => new Uint8Array(12) } };
      assert.match(await rejection(() => writePyTree(join(dir, "a"), [short], { layout: "ocdbt", compression: "none" })), /leaf \["w"\]: float32\[4\] needs 16 bytes, got 12/);
      const failing: LeafToWrite = { path: { keys: ["v"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [4], fetch: async () => Promise.reject(new Error("device lost")) } };
      assert.match(await rejection(() => writePyTree(join(dir, "b"), [failing], { layout: "zarr2", compression: "zstd" })), /device lost/);
      const badShape: LeafToWrite = { path: { keys: ["u"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [-1], fetch: async () => new Uint8Array(0) } };
      assert.match(await rejection(() => writePyTree(join(dir, "c"), [badShape], { layout: "zarr2", compression: "none" })), /leaf \["u"\]: invalid shape \[-1\]/);
    } finally {
      await cleanup();
    }
  });
});
