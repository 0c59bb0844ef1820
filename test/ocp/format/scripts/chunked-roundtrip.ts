/**
 * With the zstd engine TSNNX_ZSTD picks: reads the checkpoints the parent
 * wrote in DIR (arrays cut into 4 MiB chunks, in both layouts), then writes
 * and reads back its own. Prints the engine and, for each, whether every
 * byte came back.
 *
 *   chunked-roundtrip.ts DIR       (DIR/ocdbt and DIR/zarr2 hold chunkedLeaves())
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LeafEntry, readPyTree, writePyTree } from "../../../../src/ocp/format/index.js";
import { zstdEngine } from "../../../../src/ocp/format/zstd.js";
import { chunkedLeaves } from "../helpers.js";

async function readsBack(dir: string, leaves: LeafEntry[]): Promise<boolean> {
  const read = await readPyTree(dir);
  return leaves.every((leaf) => {
    const got = read.find((r) => r.path.keys[0] === leaf.path.keys[0])?.value;
    return got?.kind === "array" && leaf.value.kind === "array" && Buffer.from(got.array.bytes).equals(Buffer.from(leaf.value.array.bytes));
  });
}

{
  const leaves = chunkedLeaves();
  const root = await mkdtemp(join(tmpdir(), "tsnnx-chunked-"));
  const result: Record<string, unknown> = { engine: zstdEngine };
  try {
    for (const layout of ["ocdbt", "zarr2"] as const) {
      result[`read ${layout}`] = await readsBack(join(process.argv[2]!, layout), leaves);
      await writePyTree(join(root, layout), leaves, { layout, compression: "zstd" });
      result[`round trip ${layout}`] = await readsBack(join(root, layout), leaves);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}
