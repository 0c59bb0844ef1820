import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileStorage } from "../../../src/ocp/storage/file-storage.js";
import { rejection, scratch } from "../format/helpers.js";

describe("ocp/storage: reading ranges of local files", () => {
  it("reads into the caller's scratch buffer when it fits, else into fresh memory", async () => {
    const { dir, cleanup } = await scratch();
    try {
      const file = join(dir, "data");
      await writeFile(file, Uint8Array.from({ length: 1000 }, (_, i) => i & 255));
      const expected = Uint8Array.from({ length: 300 }, (_, i) => (i + 100) & 255);
      const spare = new Uint8Array(400).fill(1);
      const into = await fileStorage.readRange(file, 100, 300, spare);
      assert.equal(into.buffer, spare.buffer);
      assert.deepEqual(into, expected);
      assert.ok(spare.subarray(300).every((b) => b === 1), "nothing past the range");
      const small = new Uint8Array(10);
      const fresh = await fileStorage.readRange(file, 100, 300, small);
      assert.notEqual(fresh.buffer, small.buffer);
      assert.deepEqual(fresh, expected);
      assert.match(await rejection(() => fileStorage.readRange(file, 900, 300, spare)), /truncated \(wanted bytes 900\.\.1200, file ends at 1000\)/);
    } finally {
      await cleanup();
    }
  });
});
