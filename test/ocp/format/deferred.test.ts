import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type DeferredArray, type LeafToWrite, readPyTree, writePyTree } from "../../../src/ocp/format/index.js";
import { arrayOf, leafByName, rejection, scratch } from "./helpers.js";

const MiB = 2 ** 20;
const ramp = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 + seed));

interface FetchLog {
  running: number;
  most: number;
  order: string[];
  released: string[];
}

/**
 * Deferred float32 leaves that record how many fetches run at once, and what
 * was released. Released bytes are overwritten at once, as memory given back
 * would be reused: a writer that still used them would store garbage.
 */
function deferredLeaves(arrays: Record<string, { data: Float32Array; shape: number[] }>, log: FetchLog): LeafToWrite[] {
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
        const bytes = new Uint8Array(data.buffer.slice(0));
        const release = () => {
          bytes.fill(0xee);
          log.released.push(name);
        };
        return { bytes, release };
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
          const log: FetchLog = { running: 0, most: 0, order: [], released: [] };
          // Flushing each data file as written is taken once per layout.
          const flush = (layout === "ocdbt") === (compression === "none");
          await writePyTree(dir, [...deferredLeaves(arrays, log), { path: { keys: ["s"], keyTypes: [2] }, value: { kind: "scalar", value: 7 } }], { layout, compression, flush });
          assert.equal(log.most, 1, "fetches overlapped");
          assert.deepEqual([...log.order].sort(), Object.keys(arrays).sort(), "each array fetched once");
          assert.deepEqual([...log.released].sort(), Object.keys(arrays).sort(), "each fetched array released once");
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

  it("gives fetched bytes back when the write fails", async () => {
    const { dir, cleanup } = await scratch();
    try {
      // The second leaf's fetch fails: the first one's bytes still go back (both are packed under OCDBT, so fetched in order).
      const log: FetchLog = { running: 0, most: 0, order: [], released: [] };
      const leaves = deferredLeaves({ a: { data: ramp(MiB / 2, 3), shape: [MiB / 2] } }, log);
      leaves.push({ path: { keys: ["z"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [4], fetch: async () => Promise.reject(new Error("device lost")) } });
      for (const layout of ["zarr2", "ocdbt"] as const) {
        log.released = [];
        assert.match(await rejection(() => writePyTree(join(dir, layout), leaves, { layout, compression: "none" })), /device lost/);
        assert.deepEqual(log.released, ["a"], layout);
      }
    } finally {
      await cleanup();
    }
  });

  for (const layout of ["ocdbt", "zarr2"] as const) {
    it(`${layout}: gives an array's bytes back once its chunks are written, before the rest of the write ends`, async () => {
      const { dir, cleanup } = await scratch();
      try {
        // 4 MiB each: a data file of its own under OCDBT, written as soon as the array is fetched.
        const arrays = { a: { data: ramp(MiB, 5), shape: [MiB] }, b: { data: ramp(MiB, 6), shape: [MiB] } };
        const log: FetchLog = { running: 0, most: 0, order: [], released: [] };
        const leaves = deferredLeaves(arrays, log);
        // Fetches run one at a time (in an order the layout decides): the second waits up to 5 s
        // for the first one's bytes to come back, which they do only if released early.
        let releasedBeforeSecond = false;
        for (const leaf of leaves) {
          const value = leaf.value as DeferredArray;
          const fetch = value.fetch;
          value.fetch = async () => {
            const first = log.order[0];
            if (first !== undefined) {
              for (const start = Date.now(); !log.released.includes(first) && Date.now() - start < 5000; ) await new Promise((r) => setTimeout(r, 5));
              releasedBeforeSecond = log.released.includes(first);
            }
            return fetch();
          };
        }
        await writePyTree(dir, leaves, { layout, compression: "none", flush: true });
        assert.ok(releasedBeforeSecond, "the first array was released only at the end");
        assert.deepEqual(log.released.sort(), ["a", "b"]);
        const read = await readPyTree(dir);
        assert.ok(Buffer.from(arrayOf(leafByName(read, "b")).bytes).equals(Buffer.from(arrays.b.data.buffer)), "bytes of b");
      } finally {
        await cleanup();
      }
    });
  }

  it("names the leaf when a fetch hands back the wrong number of bytes, or fails", async () => {
    const { dir, cleanup } = await scratch();
    try {
      const short: LeafToWrite = { path: { keys: ["w"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [4], fetch: async () => ({ bytes: new Uint8Array(12), release: () => undefined }) } };
      assert.match(await rejection(() => writePyTree(join(dir, "a"), [short], { layout: "ocdbt", compression: "none" })), /leaf \["w"\]: float32\[4\] needs 16 bytes, got 12/);
      const failing: LeafToWrite = { path: { keys: ["v"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [4], fetch: async () => Promise.reject(new Error("device lost")) } };
      assert.match(await rejection(() => writePyTree(join(dir, "b"), [failing], { layout: "zarr2", compression: "zstd" })), /device lost/);
      const badShape: LeafToWrite = { path: { keys: ["u"], keyTypes: [2] }, value: { kind: "deferred", dtype: "float32", shape: [-1], fetch: async () => ({ bytes: new Uint8Array(0), release: () => undefined }) } };
      assert.match(await rejection(() => writePyTree(join(dir, "c"), [badShape], { layout: "zarr2", compression: "none" })), /leaf \["u"\]: invalid shape \[-1\]/);
    } finally {
      await cleanup();
    }
  });
});
