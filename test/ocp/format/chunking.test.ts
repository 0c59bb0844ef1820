import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chooseChunkShape, chunkBytes, chunkCount, chunkKey } from "../../../src/ocp/format/chunking.js";
import { fileSource } from "../../../src/ocp/format/kvstore.js";
import type { HostArray } from "../../../src/ocp/format/types.js";
import { openZarrArray, readZarrArray } from "../../../src/ocp/format/zarr/read-array.js";
import { zarrayJson } from "../../../src/ocp/format/zarr/v2.js";
import { int32s, scratch } from "./helpers.js";

describe("ocp/format: chunking of large arrays", () => {
  it("keeps arrays whole under the limit and splits the first axis over it", () => {
    assert.deepEqual(chooseChunkShape([1000, 3], 4, 2 ** 31), [1000, 3]);
    assert.deepEqual(chooseChunkShape([7, 3], 4, 24), [2, 3]); // 12-byte rows, 24-byte chunks
    assert.deepEqual(chooseChunkShape([7, 3], 4, 5), [1, 3]); // a row over the limit still makes a chunk
    assert.deepEqual(chooseChunkShape([], 8, 1), []);
    assert.deepEqual(chooseChunkShape([0, 4], 4, 100), [1, 4]); // zarr needs positive chunk sizes
  });

  it("cuts contiguous, zero-padded chunks that a zarr reader reassembles exactly", async () => {
    const { dir, cleanup } = await scratch();
    try {
      const values = Array.from({ length: 21 }, (_, i) => i + 1);
      const array: HostArray = { dtype: "int32", shape: [7, 3], bytes: new Uint8Array(Int32Array.from(values).buffer) };
      const chunkShape = chooseChunkShape(array.shape, 4, 24);
      assert.equal(chunkCount(array, chunkShape), 4);
      assert.deepEqual([0, 1, 2, 3].map((i) => chunkKey(array.shape, i)), ["0.0", "1.0", "2.0", "3.0"]);
      const last = chunkBytes(array, chunkShape, 3);
      assert.deepEqual([...new Int32Array(new Uint8Array(last).buffer)], [19, 20, 21, 0, 0, 0]);
      await mkdir(join(dir, "x"));
      await writeFile(join(dir, "x", ".zarray"), zarrayJson("int32", array.shape, chunkShape, "none"));
      for (let i = 0; i < 4; i++) await writeFile(join(dir, "x", chunkKey(array.shape, i)), chunkBytes(array, chunkShape, i));
      const source = fileSource(dir);
      assert.deepEqual(int32s(await readZarrArray(source, "x", await openZarrArray(source, "x"))), values);
    } finally {
      await cleanup();
    }
  });
});
