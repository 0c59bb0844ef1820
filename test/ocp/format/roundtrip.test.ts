import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  encodeFromTypedArray, type HostArray, type LeafEntry, readPyTree, readPyTreeMetadata, type StoredDType, writePyTree, type WriteOptions,
} from "../../../src/ocp/format/index.js";
import { zstdEngine } from "../../../src/ocp/format/zstd.js";
import { chunkedLeaves, rejection, scratch } from "./helpers.js";

const CHUNKED_ROUNDTRIP = fileURLToPath(new URL("./scripts/chunked-roundtrip.ts", import.meta.url));

/** Little-endian bytes from a list of byte values, to state stored data exactly. */
const bytes = (...values: number[]) => Uint8Array.from(values);

/**
 * One array per dtype with hand-worked bit patterns (not produced by the code under test):
 * float16 1.5 = 0x3E00, -2 = 0xC000, 65504 = 0x7BFF (largest finite);
 * bfloat16 1.5 = 0x3FC0, -2 = 0xC000, 65280 = 0x477F.
 */
const ARRAYS: Record<StoredDType, HostArray> = {
  bool: { dtype: "bool", shape: [3], bytes: bytes(1, 0, 1) },
  int8: { dtype: "int8", shape: [2], bytes: bytes(0x80, 0x7f) },
  uint8: { dtype: "uint8", shape: [2], bytes: bytes(0, 255) },
  int16: { dtype: "int16", shape: [2], bytes: bytes(0x00, 0x80, 0xff, 0x7f) },
  uint16: { dtype: "uint16", shape: [1], bytes: bytes(0xff, 0xff) },
  int32: { dtype: "int32", shape: [2], bytes: bytes(0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0) },
  uint32: { dtype: "uint32", shape: [1], bytes: bytes(0xff, 0xff, 0xff, 0xff) },
  int64: { dtype: "int64", shape: [1], bytes: bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f) },
  uint64: { dtype: "uint64", shape: [1], bytes: bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) },
  float16: { dtype: "float16", shape: [3], bytes: bytes(0x00, 0x3e, 0x00, 0xc0, 0xff, 0x7b) },
  bfloat16: { dtype: "bfloat16", shape: [3], bytes: bytes(0xc0, 0x3f, 0x00, 0xc0, 0x7f, 0x47) },
  float32: { dtype: "float32", shape: [2, 2], bytes: new Uint8Array(Float32Array.of(1, -0.5, 3.25, 1e30).buffer) },
  float64: { dtype: "float64", shape: [1, 1, 2], bytes: new Uint8Array(Float64Array.of(Math.PI, -1e300).buffer) },
};

function tree(): LeafEntry[] {
  const leaves: LeafEntry[] = Object.values(ARRAYS).map((array) => ({ path: { keys: ["dtypes", array.dtype], keyTypes: [2, 2] }, value: { kind: "array", array } }));
  leaves.push(
    { path: { keys: ["layers", 0, "kernel", "value"], keyTypes: [2, 1, 2, 2] }, value: { kind: "array", array: encodeFromTypedArray(Float32Array.of(1, 2, 3, 4, 5, 6), "float32", [2, 3]) } },
    { path: { keys: ["layers", 1, "bias", "value"], keyTypes: [2, 1, 2, 2] }, value: { kind: "array", array: encodeFromTypedArray(Float32Array.of(-1), "float32", [1]) } },
    { path: { keys: ["empty"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "float32", shape: [0, 4], bytes: new Uint8Array(0) } } },
    { path: { keys: ["zero_d"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "int32", shape: [], bytes: bytes(42, 0, 0, 0) } } },
    { path: { keys: ["step"], keyTypes: [2] }, value: { kind: "scalar", value: 1234 } },
    { path: { keys: ["lr"], keyTypes: [2] }, value: { kind: "scalar", value: 0.125 } },
    { path: { keys: ["whole_float"], keyTypes: [2] }, value: { kind: "scalar", value: 2, dtype: "float64" } },
    { path: { keys: ["name"], keyTypes: [2] }, value: { kind: "string", value: "héllo 'world'" } },
    // Larger than OCDBT's 1024-byte inline limit, so stored out of line in a data file.
    { path: { keys: ["big"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(Float32Array.from({ length: 5000 }, (_, i) => i * 0.5), "float32", [50, 100]) } },
  );
  return leaves;
}

const byKey = <T extends { path: { keys: unknown[] } }>(leaves: T[]) => new Map(leaves.map((l) => [JSON.stringify(l.path.keys), l]));

for (const layout of ["zarr2", "ocdbt"] as const) {
  for (const compression of ["zstd", "none"] as const) {
    describe(`ocp/format: write -> read round trip (${layout}, ${compression})`, () => {
      const options: WriteOptions = { layout, compression };
      let dir: string;
      let cleanup: () => Promise<void>;
      let written: LeafEntry[];
      let progress: [number, number][];
      before(async () => {
        ({ dir, cleanup } = await scratch());
        dir = join(dir, "fresh", "default");
        written = tree();
        progress = [];
        await writePyTree(dir, written, { ...options, customMetadata: { note: "ünï", n: [1, 2] }, onProgress: (d, t) => progress.push([d, t]) });
      });
      after(() => cleanup());

      it("reads back every leaf with identical bytes, dtypes, shapes and key types", async () => {
        const read = byKey(await readPyTree(dir));
        assert.equal(read.size, written.length);
        for (const leaf of written) {
          const got = read.get(JSON.stringify(leaf.path.keys));
          assert.ok(got, `leaf ${JSON.stringify(leaf.path.keys)} missing`);
          assert.deepEqual(got.path, leaf.path);
          if (leaf.value.kind === "array") {
            assert.equal(got.value.kind, "array");
            if (got.value.kind !== "array") continue;
            assert.equal(got.value.array.dtype, leaf.value.array.dtype);
            assert.deepEqual(got.value.array.shape, leaf.value.array.shape);
            assert.deepEqual([...got.value.array.bytes], [...leaf.value.array.bytes], `bytes of ${JSON.stringify(leaf.path.keys)}`);
          } else {
            assert.equal(got.value.kind, leaf.value.kind);
            assert.equal((got.value as { value: unknown }).value, leaf.value.value);
          }
        }
      });

      it("keeps whether a scalar was an int or a float", async () => {
        const read = byKey(await readPyTree(dir));
        assert.deepEqual(read.get('["step"]')!.value, { kind: "scalar", value: 1234, dtype: "int64" });
        assert.deepEqual(read.get('["lr"]')!.value, { kind: "scalar", value: 0.125, dtype: "float64" });
        assert.deepEqual(read.get('["whole_float"]')!.value, { kind: "scalar", value: 2, dtype: "float64" });
      });

      it("describes the tree without reading array data", async () => {
        const meta = await readPyTreeMetadata(dir);
        assert.equal(meta.layout, layout);
        assert.equal(meta.zarrVersion, 2);
        assert.deepEqual(meta.customMetadata, { note: "ünï", n: [1, 2] });
        const leaves = byKey(meta.leaves);
        assert.deepEqual(leaves.get('["dtypes","bfloat16"]'), { path: { keys: ["dtypes", "bfloat16"], keyTypes: [2, 2] }, kind: "array", dtype: "bfloat16", shape: [3] });
        assert.deepEqual(leaves.get('["layers",1,"bias","value"]'), { path: { keys: ["layers", 1, "bias", "value"], keyTypes: [2, 1, 2, 2] }, kind: "array", dtype: "float32", shape: [1] });
        assert.deepEqual(leaves.get('["step"]'), { path: { keys: ["step"], keyTypes: [2] }, kind: "scalar" });
        assert.deepEqual(leaves.get('["name"]'), { path: { keys: ["name"], keyTypes: [2] }, kind: "string" });
      });

      it("writes Orbax's metadata files the way Python writes them", async () => {
        const metadata = await readFile(join(dir, "_METADATA"), "utf8");
        assert.ok(
          metadata.includes(
            `"('layers', '0', 'kernel', 'value')": {"key_metadata": [{"key": "layers", "key_type": 2}, {"key": "0", "key_type": 1}, {"key": "kernel", "key_type": 2}, {"key": "value", "key_type": 2}], "value_metadata": {"value_type": "jax.Array", "skip_deserialize": false, "write_shape": [2, 3]}}`,
          ),
          metadata,
        );
        assert.ok(metadata.includes(`"('step',)": {"key_metadata": [{"key": "step", "key_type": 2}], "value_metadata": {"value_type": "scalar", "skip_deserialize": false}}`));
        assert.ok(
          metadata.endsWith(`"use_ocdbt": ${layout === "ocdbt"}, "use_zarr3": false, "store_array_data_equal_to_fill_value": true, "custom_metadata": {"note": "\\u00fcn\\u00ef", "n": [1, 2]}}`),
          metadata,
        );
        const sharding = JSON.parse(await readFile(join(dir, "_sharding"), "utf8"));
        // base64("layers.0.kernel.value")
        assert.equal(sharding["bGF5ZXJzLjAua2VybmVsLnZhbHVl"], `{"sharding_type": "SingleDeviceSharding", "device_str": "cpu:0"}`);
        const arrayMetadatas = await readFile(join(dir, "array_metadatas", "process_0"), "utf8");
        assert.ok(arrayMetadatas.includes(`{"array_metadata": {"param_name": "layers.0.kernel.value", "write_shape": [2, 3], "chunk_shape": [2, 3], "ext_metadata": null}}`), arrayMetadatas);
        assert.equal(await readFile(join(dir, "_strings.json"), "utf8"), JSON.stringify({ name: "héllo 'world'" }));
      });

      it("lays arrays out as Orbax does", async () => {
        const entries = await readdir(dir);
        if (layout === "zarr2") {
          assert.ok(entries.includes("layers.0.kernel.value"));
          const zarray = await readFile(join(dir, "layers.0.kernel.value", ".zarray"), "utf8");
          const compressor = compression === "zstd" ? `{"id":"zstd","level":1}` : "null";
          assert.equal(zarray, `{"chunks":[2,3],"compressor":${compressor},"dimension_separator":".","dtype":"<f4","fill_value":null,"filters":null,"order":"C","shape":[2,3],"zarr_format":2}`);
          assert.deepEqual((await readdir(join(dir, "layers.0.kernel.value"))).sort(), [".zarray", "0.0"]);
          assert.deepEqual((await readdir(join(dir, "zero_d"))).sort(), [".zarray", "0"]);
          // Empty arrays store only their metadata.
          assert.deepEqual(await readdir(join(dir, "empty")), [".zarray"]);
        } else {
          assert.ok(entries.includes("manifest.ocdbt") && entries.includes("d"));
          assert.ok(!entries.includes("layers.0.kernel.value"));
        }
      });

      it("reports progress ending at the total array bytes", () => {
        const total = written.reduce((a, l) => a + (l.value.kind === "array" ? l.value.array.bytes.length : l.value.kind === "scalar" ? 8 : 0), 0);
        assert.deepEqual(progress.at(-1), [total, total]);
        for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0]);
      });
    });
  }
}

describe("ocp/format: many leaves", () => {
  for (const layout of ["zarr2", "ocdbt"] as const) {
    it(`writes and reads 1500 leaves (${layout}) with bounded open files`, async function () {
      this.timeout(120_000);
      const { dir, cleanup } = await scratch();
      try {
        const leaves: LeafEntry[] = Array.from({ length: 1500 }, (_, i) => ({
          path: { keys: ["params", i, "value"], keyTypes: [2, 1, 2] },
          value: { kind: "array", array: encodeFromTypedArray(Int32Array.of(i, 1000 - i), "int32", [2]) },
        }));
        await writePyTree(dir, leaves, { layout, compression: "zstd" });
        const read = await readPyTree(dir);
        assert.equal(read.length, 1500);
        for (const leaf of read) {
          const i = leaf.path.keys[1] as number;
          assert.deepEqual(leaf.path.keyTypes, [2, 1, 2]);
          assert.deepEqual(leaf.value.kind === "array" ? [...new Int32Array(new Uint8Array(leaf.value.array.bytes).buffer)] : [], [i, 1000 - i]);
        }
      } finally {
        await cleanup();
      }
    });
  }
});

/** Cuts the end off a stored zstd chunk and checks that reading the tree fails naming that chunk's file. */
async function assertTruncatedChunkNamed(dir: string, chunk: string): Promise<void> {
  const stored = await readFile(chunk);
  await writeFile(chunk, stored.subarray(0, stored.length - 1000));
  const message = await rejection(() => readPyTree(dir));
  assert.ok(message.startsWith(chunk), message);
  assert.match(message, /zstd data is corrupt or truncated/);
}

describe("ocp/format: large zstd chunks (compressed on worker threads)", () => {
  it("round-trips 4 arrays of 4 MiB and names a corrupted large chunk", async function () {
    this.timeout(120_000);
    const { dir, cleanup } = await scratch();
    try {
      const leaves: LeafEntry[] = Array.from({ length: 4 }, (_, a) => ({
        path: { keys: [`w${a}`], keyTypes: [2] },
        value: { kind: "array", array: encodeFromTypedArray(Float32Array.from({ length: 1 << 20 }, (_, i) => Math.sin(i * 0.01 + a)), "float32", [1024, 1024]) },
      }));
      await writePyTree(dir, leaves, { layout: "zarr2", compression: "zstd" });
      const read = byKey(await readPyTree(dir));
      for (const leaf of leaves) {
        const got = read.get(JSON.stringify(leaf.path.keys))!.value;
        assert.ok(got.kind === "array" && leaf.value.kind === "array");
        assert.ok(Buffer.from(got.array.bytes).equals(Buffer.from(leaf.value.array.bytes)), `bytes of ${leaf.path.keys[0]}`);
      }
      await assertTruncatedChunkNamed(dir, join(dir, "w2", "0.0"));
    } finally {
      await cleanup();
    }
  });
});

describe("ocp/format: compressed arrays over 4 MiB, cut into 4 MiB chunks (with the libzstd shim)", () => {
  const leaves = chunkedLeaves();
  let root: string;
  let cleanup: () => Promise<void>;
  before(async function () {
    if (zstdEngine !== "libzstd") this.skip();
    ({ dir: root, cleanup } = await scratch());
  });
  after(() => cleanup?.());

  for (const layout of ["ocdbt", "zarr2"] as const) {
    it(`stores the chunks as zarr reads them and reads every byte back (${layout})`, async function () {
      this.timeout(120_000);
      const dir = join(root, layout);
      await writePyTree(dir, leaves, { layout, compression: "zstd" });
      const arrayMetadatas = await readFile(join(dir, "array_metadatas", "process_0"), "utf8");
      assert.ok(arrayMetadatas.includes(`"write_shape": [2600, 1024], "chunk_shape": [1024, 1024]`), arrayMetadatas);
      assert.ok(arrayMetadatas.includes(`"write_shape": [2048, 1024], "chunk_shape": [1024, 1024]`), arrayMetadatas);
      if (layout === "zarr2") {
        assert.deepEqual((await readdir(join(dir, "ragged"))).sort(), [".zarray", "0.0", "1.0", "2.0"]);
        assert.match(await readFile(join(dir, "ragged", ".zarray"), "utf8"), /"chunks":\[1024,1024\]/);
      } else {
        const dataFiles = await Promise.all((await readdir(join(dir, "d"))).map((f) => stat(join(dir, "d", f))));
        assert.equal(dataFiles.filter((f) => f.size > 2 ** 20).length, 2, "each array's chunks share one data file");
      }
      const read = await readPyTree(dir);
      for (const leaf of leaves) {
        const got = read.find((r) => r.path.keys[0] === leaf.path.keys[0])!.value;
        assert.ok(got.kind === "array" && leaf.value.kind === "array" && Buffer.from(got.array.bytes).equals(Buffer.from(leaf.value.array.bytes)), String(leaf.path.keys[0]));
      }
    });
  }

  for (const engine of ["node-zstd", "wasm"]) {
    it(`reads them with the ${engine} engine, which writes arrays whole (a child process with TSNNX_ZSTD=${engine})`, async function () {
      this.timeout(180_000);
      const dir = join(root, `for-${engine}`);
      for (const layout of ["ocdbt", "zarr2"] as const) await writePyTree(join(dir, layout), leaves, { layout, compression: "zstd" });
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", CHUNKED_ROUNDTRIP, dir], { env: { ...process.env, TSNNX_ZSTD: engine } });
      assert.deepEqual(JSON.parse(stdout), { engine, "read ocdbt": true, "round trip ocdbt": true, "read zarr2": true, "round trip zarr2": true });
    });
  }

  it("names a damaged chunk in the middle of an array", async function () {
    this.timeout(120_000);
    const dir = join(root, "damaged");
    await writePyTree(dir, [leaves[0]], { layout: "zarr2", compression: "zstd" });
    await assertTruncatedChunkNamed(dir, join(dir, "ragged", "1.0"));
  });
});
