/**
 * A forced save replaces a committed folder with two renames: the old folder
 * is moved aside (`X.orbax-checkpoint-tmp-replaced`), then the new one
 * (`X.orbax-checkpoint-tmp`) is moved in. A crash in between leaves no `X`.
 * These tests stop the real commit at that instant (the next rename fails,
 * as if the process had died) and check that the next manager or restore
 * puts the committed copy back instead of cleaning it up as a leftover.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;
const { StandardSave } = ocp.args;

const TMP = ".orbax-checkpoint-tmp";
const ASIDE = ".orbax-checkpoint-tmp-replaced";
const listDir = (dir: string) => fs.readdirSync(dir).sort();

/** The two versions of a step: distinct bit patterns, so a mix-up cannot pass. */
const OLD = new Float32Array([1.5, -2.25, 3e-7, 65504]);
const NEW = new Float32Array([-0.125, 7, 1e20, -3.5]);
const state = (values: Float32Array) => ({ w: np.array(values.slice()), tag: values === OLD ? "old" : "new" });

async function restoredValues(tree: unknown): Promise<{ w: number[]; tag: unknown }> {
  const t = tree as { w: jax.Array; tag: unknown };
  return { w: Array.from(await t.w.data()), tag: t.tag };
}
const expected = (values: Float32Array) => ({ w: Array.from(values), tag: values === OLD ? "old" : "new" });

const renames = fsp as { rename: typeof fsp.rename };

/**
 * Runs `save` with every rename after the one that moves the old folder aside
 * failing: the disk is left exactly as a kill between the two renames leaves it.
 */
async function crashBetweenRenames(save: () => Promise<unknown>): Promise<void> {
  const rename = renames.rename;
  let movedAside = false;
  renames.rename = async (from, to) => {
    if (movedAside) throw new Error("simulated crash between the renames");
    await rename(from, to);
    movedAside = String(to).endsWith(ASIDE);
  };
  try {
    await assert.rejects(save(), /simulated crash between the renames/);
  } finally {
    renames.rename = rename;
  }
  assert.ok(movedAside, "the forced save never moved the old folder aside");
}

type NewCopy = "committed" | "uncommitted" | "missing";

/** Turns the crash state's new copy into the variant under test. */
function shapeNewCopy(tmp: string, newCopy: NewCopy): void {
  if (newCopy === "uncommitted") fs.rmSync(path.join(tmp, "commit_success.txt"));
  if (newCopy === "missing") fs.rmSync(tmp, { recursive: true });
}

describe("ocp: a crash between the renames of a forced overwrite", () => {
  let dir: string;
  beforeEach(() => (dir = scratchDir("overwrite")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Steps 0 and 1 (OLD) committed, then a forced save of step 1 (NEW) stopped between its renames. */
  async function managerCrashState(newCopy: NewCopy): Promise<void> {
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(0, { args: StandardSave(state(NEW)), metrics: { version: "zero" } });
    await mngr.save(1, { args: StandardSave(state(OLD)), metrics: { version: "old" } });
    await mngr.waitUntilFinished();
    await crashBetweenRenames(async () => {
      await mngr.save(1, { args: StandardSave(state(NEW)), metrics: { version: "new" }, force: true });
      await mngr.waitUntilFinished();
    });
    assert.deepEqual(listDir(dir), ["0", `1${TMP}`, `1${ASIDE}`]);
    assert.ok(fs.existsSync(path.join(dir, `1${TMP}`, "commit_success.txt")), "commitDir marks the new copy before the renames");
    shapeNewCopy(path.join(dir, `1${TMP}`), newCopy);
  }

  const cases: [NewCopy, Float32Array, string][] = [
    ["committed", NEW, "the finished overwrite is promoted"],
    ["uncommitted", OLD, "the replaced copy is put back"],
    ["missing", OLD, "the replaced copy is put back"],
  ];
  for (const [newCopy, want, outcome] of cases) {
    it(`manager start-up, new copy ${newCopy}: ${outcome}, the step is listed and leftovers are removed`, async () => {
      await managerCrashState(newCopy);
      const mngr = new ocp.CheckpointManager(dir);
      assert.deepEqual(mngr.allSteps(), [0, 1]);
      assert.deepEqual(await restoredValues(await mngr.restore(1)), expected(want));
      assert.deepEqual(mngr.metrics(1), { version: want === NEW ? "new" : "old" });
      assert.deepEqual(await restoredValues(await mngr.restore(0)), expected(NEW));
      assert.deepEqual(listDir(dir), ["0", "1"]);
    });
  }

  it("manager with cleanupTmpDirectories: false still recovers; only the unfinished copy stays behind, unlisted", async () => {
    await managerCrashState("uncommitted");
    const mngr = new ocp.CheckpointManager(dir, { cleanupTmpDirectories: false });
    assert.deepEqual(mngr.allSteps(), [0, 1]);
    assert.deepEqual(await restoredValues(await mngr.restore(1)), expected(OLD));
    assert.deepEqual(listDir(dir), ["0", "1", `1${TMP}`]);
  });

  for (const [newCopy, want] of [["committed", NEW], ["uncommitted", OLD]] as const) {
    it(`read-only manager, new copy ${newCopy}: writes nothing, yet lists step 1 and restores its committed copy`, async () => {
      await managerCrashState(newCopy);
      const before = listDir(dir);
      const mngr = new ocp.CheckpointManager(dir, { readOnly: true });
      assert.deepEqual(mngr.allSteps(), [0, 1]);
      assert.deepEqual(await restoredValues(await mngr.restore(1)), expected(want));
      assert.deepEqual(mngr.metrics(1), { version: want === NEW ? "new" : "old" });
      assert.deepEqual(listDir(dir), before);
    });
  }

  it("a forced overwrite after recovery replaces the recovered step normally", async () => {
    await managerCrashState("committed");
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(1, { args: StandardSave(state(OLD)), force: true });
    await mngr.waitUntilFinished();
    assert.deepEqual(await restoredValues(await new ocp.CheckpointManager(dir).restore(1)), expected(OLD));
    assert.deepEqual(listDir(dir), ["0", "1"]);
  });

  it("a live process whose final rename fails puts the old copy back at once", async () => {
    const mngr = new ocp.CheckpointManager(dir);
    await mngr.save(1, { args: StandardSave(state(OLD)) });
    await mngr.waitUntilFinished();
    const rename = renames.rename;
    renames.rename = async (from, to) => {
      if (String(from).endsWith(TMP)) throw new Error("rename refused");
      await rename(from, to);
    };
    try {
      await mngr.save(1, { args: StandardSave(state(NEW)), force: true });
      await assert.rejects(mngr.waitUntilFinished(), /rename refused/);
    } finally {
      renames.rename = rename;
    }
    assert.deepEqual(listDir(dir), ["1", `1${TMP}`]);
    assert.deepEqual(await restoredValues(await mngr.restore(1)), expected(OLD));
  });

  describe("StandardCheckpointer", () => {
    /** A checkpoint at `ckpt` (OLD), then a forced save (NEW) stopped between its renames. */
    async function checkpointerCrashState(ckpt: string, newCopy: NewCopy): Promise<void> {
      const ckptr = new ocp.StandardCheckpointer();
      await ckptr.save(ckpt, state(OLD));
      await ckptr.waitUntilFinished();
      await crashBetweenRenames(async () => {
        await ckptr.save(ckpt, state(NEW), { force: true });
        await ckptr.waitUntilFinished();
      });
      assert.deepEqual(listDir(dir), [`ckpt${TMP}`, `ckpt${ASIDE}`]);
      shapeNewCopy(`${ckpt}${TMP}`, newCopy);
    }

    for (const [newCopy, want, outcome] of cases) {
      it(`restore(path), new copy ${newCopy}: ${outcome} and leftovers are removed`, async () => {
        const ckpt = path.join(dir, "ckpt");
        await checkpointerCrashState(ckpt, newCopy);
        const restored = await new ocp.StandardCheckpointer().restore(ckpt);
        assert.deepEqual(await restoredValues(restored), expected(want));
        assert.deepEqual(listDir(dir), ["ckpt"]);
      });
    }

    it("save(path) recovers first: without force it refuses the recovered checkpoint, with force it replaces it", async () => {
      const ckpt = path.join(dir, "ckpt");
      await checkpointerCrashState(ckpt, "committed");
      const ckptr = new ocp.StandardCheckpointer();
      await assert.rejects(ckptr.save(ckpt, state(OLD)), /ckpt already exists; pass \{ force: true \}/);
      assert.deepEqual(await restoredValues(await ckptr.restore(ckpt)), expected(NEW));
      await ckptr.save(ckpt, state(OLD), { force: true });
      await ckptr.waitUntilFinished();
      assert.deepEqual(await restoredValues(await ckptr.restore(ckpt)), expected(OLD));
      assert.deepEqual(listDir(dir), ["ckpt"]);
    });
  });
});
