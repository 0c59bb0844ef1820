import assert from "node:assert/strict";
import { mkdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeFromTypedArray, type LeafEntry, readPyTree, readPyTreeMetadata, writePyTree } from "../../../src/ocp/format/index.js";
import { rejection, scratch } from "./helpers.js";

const leaf = (keys: (string | number)[], keyTypes: (1 | 2)[], values: number[]): LeafEntry => ({
  path: { keys, keyTypes },
  value: { kind: "array", array: encodeFromTypedArray(Float32Array.from(values), "float32", [values.length]) },
});

describe("ocp/format: bad input and damaged checkpoints", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await scratch()));
  after(() => cleanup());

  async function fresh(name: string, compression: "zstd" | "none" = "zstd"): Promise<string> {
    const dir = join(root, name);
    await writePyTree(dir, [leaf(["w"], [2], Array.from({ length: 256 }, (_, i) => i))], { layout: "zarr2", compression });
    return dir;
  }

  it("names a missing item folder", async () => {
    const dir = join(root, "does-not-exist");
    assert.equal(await rejection(() => readPyTree(dir)), `${dir} is missing`);
  });

  it("names a file standing where the item folder should be", async () => {
    const path = join(root, "a-file");
    await writeFile(path, "x");
    assert.match(await rejection(() => readPyTreeMetadata(path)), new RegExp(`^${path} is a file where a checkpoint item folder was expected`));
  });

  it("names a file standing where an array's folder should be", async () => {
    const dir = await fresh("file-for-folder");
    await rm(join(dir, "w"), { recursive: true });
    await writeFile(join(dir, "w"), "not a folder");
    const message = await rejection(() => readPyTree(dir));
    assert.ok(message.startsWith(join(dir, "w", ".zarray")), message);
    assert.match(message, /a file stands where a folder was expected/);
  });

  it("names a folder standing where _METADATA should be a file", async () => {
    const dir = await fresh("folder-for-file");
    await rm(join(dir, "_METADATA"));
    await mkdir(join(dir, "_METADATA"));
    assert.equal(await rejection(() => readPyTree(dir)), `${join(dir, "_METADATA")} is a folder where a file was expected`);
  });

  it("rebuilds the tree from array names when _METADATA is absent (plain layout)", async () => {
    const dir = join(root, "no-metadata");
    await writePyTree(dir, [leaf(["layers", 0, "w"], [2, 1, 2], [1, 2]), leaf(["b"], [2], [3])], { layout: "zarr2", compression: "none" });
    await rm(join(dir, "_METADATA"));
    const leaves = await readPyTree(dir);
    assert.deepEqual(leaves.map((l) => l.path), [{ keys: ["b"], keyTypes: [2] }, { keys: ["layers", 0, "w"], keyTypes: [2, 1, 2] }]);
  });

  it("names corrupted _METADATA", async () => {
    const dir = await fresh("bad-metadata");
    await writeFile(join(dir, "_METADATA"), '{"tree_metadata": {"(\'w\',)": ');
    const message = await rejection(() => readPyTree(dir));
    assert.ok(message.startsWith(join(dir, "_METADATA")), message);
    assert.match(message, /corrupted metadata, not valid JSON/);
  });

  it("names a corrupted .zarray", async () => {
    const dir = await fresh("bad-zarray");
    await writeFile(join(dir, "w", ".zarray"), '{"zarr_format": 2, "shape": "eight"}');
    const message = await rejection(() => readPyTreeMetadata(dir));
    assert.ok(message.startsWith(join(dir, "w", ".zarray")), message);
  });

  it("names a truncated compressed chunk", async () => {
    const dir = await fresh("truncated-zstd");
    await truncate(join(dir, "w", "0"), 20);
    const message = await rejection(() => readPyTree(dir));
    assert.ok(message.startsWith(join(dir, "w", "0")), message);
    assert.match(message, /corrupt or truncated/);
  });

  it("names a truncated uncompressed chunk", async () => {
    const dir = await fresh("truncated-raw", "none");
    await truncate(join(dir, "w", "0"), 100);
    const message = await rejection(() => readPyTree(dir));
    assert.equal(message, `${join(dir, "w", "0")}: chunk holds 100 bytes, expected 1024 (truncated or corrupt)`);
  });

  it("names a string leaf missing from _strings.json", async () => {
    const dir = join(root, "strings");
    await writePyTree(dir, [{ path: { keys: ["s"], keyTypes: [2] }, value: { kind: "string", value: "v" } }], { layout: "zarr2", compression: "none" });
    await writeFile(join(dir, "_strings.json"), "{}");
    assert.match(await rejection(() => readPyTree(dir)), /_strings\.json: string leaf "s" is missing from it/);
  });

  it("names an array listed in _METADATA but absent from storage", async () => {
    const dir = await fresh("absent");
    await rm(join(dir, "w"), { recursive: true });
    assert.match(await rejection(() => readPyTree(dir)), /array "w" is missing: neither .*w\/\.zarray nor .*w\/zarr\.json exists/);
  });

  it("names the folder writePyTree cannot create", async () => {
    const file = join(root, "plain-file");
    await writeFile(file, "x");
    for (const layout of ["zarr2", "ocdbt"] as const) {
      const target = join(file, "default");
      assert.match(await rejection(() => writePyTree(target, [leaf(["w"], [2], [1])], { layout, compression: "none" })), new RegExp(`^${target} could not be created as a folder: a file stands there or on its path`));
    }
  });

  describe("writePyTree refuses bad leaves before writing anything", () => {
    const cases: [string, LeafEntry[], RegExp][] = [
      ["byte count not matching the shape", [{ path: { keys: ["a"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "float32", shape: [3], bytes: new Uint8Array(8) } } }], /leaf \["a"\]: float32\[3\] needs 12 bytes, got 8/],
      ["unknown dtype", [{ path: { keys: ["a"], keyTypes: [2] }, value: { kind: "array", array: { dtype: "complex64" as never, shape: [1], bytes: new Uint8Array(8) } } }], /unknown dtype "complex64"/],
      ["a sequence key that is not an index", [leaf(["layers", "x"], [2, 1], [1])], /key "x" has key type 1 \(sequence index\) but is not a non-negative integer/],
      ["keys and key types of different lengths", [{ ...leaf(["a", "b"], [2, 2], [1]), path: { keys: ["a", "b"], keyTypes: [2] } }], /keyTypes \[2\] must have one entry per key/],
      ["two leaves with the same stored name", [leaf(["a", "b"], [2, 2], [1]), leaf(["a.b"], [2], [2])], /stored name "a\.b" is the same as that of leaf \["a","b"\]/],
      ["a key containing '/'", [leaf(["a/b"], [2], [1])], /contains "\/"/],
      ["an empty path", [leaf([], [], [1])], /a leaf needs at least one key/],
    ];
    for (const [what, leaves, error] of cases) {
      it(what, async () => {
        const dir = join(root, "refused", what.replace(/\W+/g, "-"));
        assert.match(await rejection(() => writePyTree(dir, leaves, { layout: "zarr2", compression: "none" })), error);
        await assert.rejects(readFile(join(dir, "_METADATA")), { code: "ENOENT" });
      });
    }
    it("unknown layout or compression", async () => {
      assert.match(await rejection(() => writePyTree(join(root, "x"), [], { layout: "zarr3" as never, compression: "none" })), /layout must be "zarr2" or "ocdbt"/);
      assert.match(await rejection(() => writePyTree(join(root, "x"), [], { layout: "zarr2", compression: "gzip" as never })), /compression must be "zstd" or "none"/);
    });
  });
});
