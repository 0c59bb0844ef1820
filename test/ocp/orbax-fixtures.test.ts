/** Real Orbax checkpoints (test/fixtures/orbax, see its README) restored through the public API. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { scratchDir } from "./scratch.js";

const root = path.resolve("test/fixtures/orbax/checkpoint/orbax/checkpoint/experimental/v1/_src/testing/compatibility/checkpoints");
const variants = (kind: string) =>
  ["checkpoint_metadata_present", "checkpoint_metadata_missing", "non_critical_metadata_alterations"].flatMap((group) =>
    fs.existsSync(path.join(root, kind, group)) ? fs.readdirSync(path.join(root, kind, group)).map((v) => path.join(kind, group, v)) : [],
  );

async function expectTree(tree: unknown): Promise<void> {
  const t = tree as { a: jax.Array; b: { c: jax.Array } };
  assert.deepEqual(Array.from(await t.a.data()), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(await t.b.c.data()), [1, 2, 3]);
}

describe("ocp on Orbax's own compatibility fixtures", () => {
  for (const variant of variants("v0_checkpoints/direct_checkpoint")) {
    it(`StandardCheckpointer restores ${variant}`, async () => {
      await expectTree(await new ocp.StandardCheckpointer().restore(path.join(root, variant)));
    });
  }
  for (const variant of ["missing_pytree_data_dir_d", "missing_pytree_data_file_manifest.ocdbt"]) {
    it(`fails with the path named on critical_metadata_alterations/${variant}`, async () => {
      const dir = path.join(root, "v0_checkpoints/direct_checkpoint/critical_metadata_alterations", variant);
      await assert.rejects(new ocp.StandardCheckpointer().restore(dir), (e: Error) => e.message.includes(dir));
    });
  }

  for (const kind of ["v0_checkpoints/composite_checkpoint", "v1_checkpoints/composite_checkpoint"]) {
    for (const variant of variants(kind)) {
      it(`a manager restores the Composite ${variant} (pytree item + JSON item)`, async () => {
        const dir = scratchDir("fixture");
        try {
          fs.cpSync(path.join(root, variant), path.join(dir, "0"), { recursive: true });
          const mngr = new ocp.CheckpointManager(dir, { readOnly: true });
          assert.deepEqual(mngr.allSteps(), [0]);
          const out = (await mngr.restore(0, { args: ocp.args.Composite({ state: ocp.args.StandardRestore(), metadata: ocp.args.JsonRestore() }) })) as {
            state: unknown;
            metadata: unknown;
          };
          await expectTree(out.state);
          assert.deepEqual(out.metadata, { metadata: "json_data" });
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
