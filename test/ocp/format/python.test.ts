import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  decodeToTypedArray, encodeFromTypedArray, type HostArray, type LeafEntry, type LeafToWrite, readPyTree, writePyTree,
} from "../../../src/ocp/format/index.js";
import { writeOcdbt } from "../../../src/ocp/format/ocdbt/writer.js";
import { scratch } from "./helpers.js";

const run = promisify(execFile);
const ENSURE_VENV = fileURLToPath(new URL("../../python/ensure-venv.sh", import.meta.url));
const INTEROP = fileURLToPath(new URL("./python/orbax_interop.py", import.meta.url));

/** The reference tree, by stored name; values worked out in closed form. */
const EXPECTED: Record<string, { dtype?: string; shape?: number[]; values: unknown }> = {
  a: { dtype: "int32", shape: [8], values: [0, 1, 2, 3, 4, 5, 6, 7] },
  "b.c": { dtype: "bfloat16", shape: [3], values: [1.5, -2, 65536] }, // 65504 rounds to 65536 in bfloat16
  h: { dtype: "float16", shape: [3], values: [1.5, -2, 65504] },
  "layers.0.kernel": { dtype: "float32", shape: [3, 4], values: Array.from({ length: 12 }, (_, i) => i / 4) },
  "layers.1.bias": { dtype: "bool", shape: [2], values: [true, false] },
  big: { dtype: "float32", shape: [1000, 3], values: Array.from({ length: 3000 }, (_, i) => i) },
  // With "big", a second value over OCDBT's 1024-byte inline limit: both share one data file.
  big2: { dtype: "float32", shape: [600], values: Array.from({ length: 600 }, (_, i) => 2 * i) },
  i64: { dtype: "int64", shape: [2], values: [-(2 ** 40), 2 ** 40] },
  s: { values: 3 },
  f: { values: 2.5 },
  name: { values: "hello" },
};

function referenceLeaves(): LeafEntry[] {
  const arr = (keys: (string | number)[], keyTypes: (1 | 2)[], array: HostArray): LeafEntry => ({ path: { keys, keyTypes }, value: { kind: "array", array } });
  return [
    arr(["a"], [2], encodeFromTypedArray(Int32Array.from({ length: 8 }, (_, i) => i), "int32", [8])),
    arr(["b", "c"], [2, 2], encodeFromTypedArray(Float32Array.of(1.5, -2, 65504), "bfloat16", [3])),
    arr(["h"], [2], encodeFromTypedArray(Uint16Array.of(0x3e00, 0xc000, 0x7bff), "float16", [3])),
    arr(["layers", 0, "kernel"], [2, 1, 2], encodeFromTypedArray(Float32Array.from({ length: 12 }, (_, i) => i / 4), "float32", [3, 4])),
    arr(["layers", 1, "bias"], [2, 1, 2], { dtype: "bool", shape: [2], bytes: Uint8Array.of(1, 0) }),
    arr(["big"], [2], encodeFromTypedArray(Float32Array.from({ length: 3000 }, (_, i) => i), "float32", [1000, 3])),
    arr(["big2"], [2], encodeFromTypedArray(Float32Array.from({ length: 600 }, (_, i) => 2 * i), "float32", [600])),
    arr(["i64"], [2], encodeFromTypedArray(BigInt64Array.of(-(2n ** 40n), 2n ** 40n), "int64", [2])),
    { path: { keys: ["s"], keyTypes: [2] }, value: { kind: "scalar", value: 3 } },
    { path: { keys: ["f"], keyTypes: [2] }, value: { kind: "scalar", value: 2.5 } },
    { path: { keys: ["name"], keyTypes: [2] }, value: { kind: "string", value: "hello" } },
  ];
}

function values(array: HostArray): unknown[] {
  if (array.dtype === "bool") return [...array.bytes].map((b) => b !== 0);
  if (array.dtype === "int64") return [...new BigInt64Array(new Uint8Array(array.bytes).buffer)].map(Number);
  return [...decodeToTypedArray(array, "float64")];
}

describe("ocp/format: against the real Python Orbax", function () {
  this.timeout(30 * 60_000); // creating the venv the first time installs jax, orbax and friends
  let python: string;
  let root: string;
  let cleanup: () => Promise<void>;

  before(async function () {
    try {
      python = (await run("bash", [ENSURE_VENV], { maxBuffer: 1 << 24 })).stdout.trim().split("\n").at(-1)!;
    } catch (e) {
      console.warn(`      skipped: the Python venv could not be created (${(e as Error).message.split("\n")[0]})`);
      this.skip();
    }
    ({ dir: root, cleanup } = await scratch());
  });
  after(() => cleanup?.());

  for (const layout of ["ocdbt", "zarr2"] as const) {
    for (const compression of ["zstd", "none"] as const) {
      it(`Orbax's PyTreeCheckpointer restores what writePyTree wrote (${layout}, ${compression})`, async () => {
        const dir = join(root, `ts-${layout}-${compression}`);
        await writePyTree(dir, referenceLeaves(), { layout, compression });
        const { stdout } = await run(python, [INTEROP, "restore", dir], { maxBuffer: 1 << 26 });
        const restored = JSON.parse(stdout) as Record<string, { kind: string; dtype?: string; shape?: number[]; values?: unknown; value?: unknown; type?: string }>;
        assert.deepEqual(Object.keys(restored).sort(), Object.keys(EXPECTED).sort());
        for (const [name, want] of Object.entries(EXPECTED)) {
          const got = restored[name];
          if (want.dtype) {
            assert.deepEqual([got.dtype, got.shape], [want.dtype, want.shape], name);
            assert.deepEqual(got.values, want.values, name);
          } else {
            assert.equal(got.value, want.values, name);
          }
        }
        assert.equal(restored.s.type, "int");
        assert.equal(restored.f.type, "float");
      });
    }
  }

  it("Orbax restores empty, 0-d and full-range uint64 arrays written by writePyTree (which Orbax itself refuses to save empty)", async () => {
    const dir = join(root, "ts-edges");
    await writePyTree(
      dir,
      [
        { path: { keys: ["empty"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "float32", shape: [0, 4], bytes: new Uint8Array(0) } } },
        { path: { keys: ["zero_d"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "int32", shape: [], bytes: Uint8Array.of(42, 0, 0, 0) } } },
        { path: { keys: ["u64"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "uint64", shape: [1], bytes: new Uint8Array(8).fill(255) } } },
      ],
      { layout: "ocdbt", compression: "zstd" },
    );
    const { stdout } = await run(python, [INTEROP, "restore", dir], { maxBuffer: 1 << 24 });
    // JSON.parse loses uint64's last digits; compare that one as text.
    assert.match(stdout, /"u64": \{"kind": "array", "dtype": "uint64", "shape": \[1\], "values": \[18446744073709551615\]\}/);
    const restored = JSON.parse(stdout);
    assert.deepEqual(restored.empty, { kind: "array", dtype: "float32", shape: [0, 4], values: [] });
    assert.deepEqual(restored.zero_d, { kind: "array", dtype: "int32", shape: [], values: [42] });
  });

  it("Orbax restores deferred arrays cut into 4 MiB chunks: one in a data file of its own (its last chunk padded), one whose chunks compress small enough to go inline", async () => {
    const dir = join(root, "ts-deferred");
    const rows = 2600; // of 1024 float32: chunks of 1024 rows, the last of 552
    const deferred = (name: string, data: Float32Array): LeafToWrite => ({
      path: { keys: [name], keyTypes: [2] },
      value: { kind: "deferred", dtype: "float32", shape: [rows, 1024], fetch: async () => ({ bytes: new Uint8Array(data.buffer), release: () => undefined }) },
    });
    await writePyTree(dir, [deferred("ramp", Float32Array.from({ length: rows * 1024 }, (_, i) => i % 97)), deferred("zeros", new Float32Array(rows * 1024))], { layout: "ocdbt", compression: "zstd" });
    const { stdout } = await run(python, [INTEROP, "restore", dir], { maxBuffer: 1 << 28 });
    const restored = JSON.parse(stdout) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
    assert.deepEqual([restored.ramp.dtype, restored.ramp.shape, restored.zeros.shape], ["float32", [rows, 1024], [rows, 1024]]);
    assert.ok(restored.ramp.values.length === rows * 1024 && restored.ramp.values.every((v, i) => v === i % 97), "ramp values");
    assert.ok(restored.zeros.values.length === rows * 1024 && restored.zeros.values.every((v) => v === 0), "zeros");
  });

  it("tensorstore reads an OCDBT database big enough to get leaves under an interior root", async () => {
    const dir = join(root, "ts-two-level");
    const value = (i: number) => Uint8Array.from({ length: 1000 }, (_, j) => (i * 7 + j) & 255);
    const keys = Array.from({ length: 12000 }, (_, i) => `p.${String(i).padStart(5, "0")}/0`);
    await writeOcdbt(dir, keys.map((key, i) => ({ key, bytes: value(i) })));
    const probe = [0, 6000, 11999];
    const { stdout } = await run(python, [INTEROP, "ocdbt", dir, ...probe.map((i) => keys[i])], { maxBuffer: 1 << 24 });
    const got = JSON.parse(stdout) as { count: number; values: Record<string, string> };
    assert.equal(got.count, 12000);
    for (const i of probe) assert.equal(got.values[keys[i]], Buffer.from(value(i)).toString("hex"), keys[i]);
  });

  for (const useOcdbt of [true, false]) {
    for (const useZarr3 of [false, true]) {
      it(`readPyTree reads what Orbax wrote (use_ocdbt=${useOcdbt}, use_zarr3=${useZarr3}, several chunks)`, async () => {
        const dir = join(root, `py-${useOcdbt}-${useZarr3}`);
        await run(python, [INTEROP, "save", dir, useOcdbt ? "1" : "0", useZarr3 ? "1" : "0"], { maxBuffer: 1 << 24 });
        const leaves = await readPyTree(dir);
        const byName = new Map(leaves.map((l) => [l.path.keys.join("."), l]));
        assert.deepEqual([...byName.keys()].sort(), Object.keys(EXPECTED).sort());
        assert.deepEqual(byName.get("layers.0.kernel")!.path.keyTypes, [2, 1, 2]);
        for (const [name, want] of Object.entries(EXPECTED)) {
          const got = byName.get(name)!.value;
          if (got.kind === "array") {
            assert.deepEqual([got.array.dtype, got.array.shape], [want.dtype, want.shape], name);
            assert.deepEqual(values(got.array), want.values, name);
          } else {
            assert.equal(got.value, want.values, name);
          }
        }
        assert.deepEqual(byName.get("s")!.value, { kind: "scalar", value: 3, dtype: "int64" });
        assert.deepEqual(byName.get("f")!.value, { kind: "scalar", value: 2.5, dtype: "float64" });
      });
    }
  }
});
