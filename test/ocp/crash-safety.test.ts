/**
 * Crash safety: a child process saving 50 steps is killed with SIGKILL at
 * random moments, again and again. After every kill, every listed step must
 * restore bit-identical and no partial step may be listed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { ELEMENTS, LEAVES, stateBits } from "./scripts/crash-state.js";
import { scratchDir } from "./scratch.js";

const TOTAL = 50;

/** Where to kill the saver: `delayMs` after it announces step `atStep`. */
interface KillPlan {
  atStep: number;
  delayMs: number;
}

/** Starts the saver; resolves once it is killed as planned, or exits. */
function runSaver(dir: string, from: number, kill: KillPlan | undefined): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/ocp/scripts/crash-saver.ts", dir, String(from), String(TOTAL)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TSNNX_THREADS: "1" },
    });
    let stderr = "";
    let stdout = "";
    let armed = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (kill && !armed && stdout.includes(`saving ${kill.atStep}\n`)) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), kill.delayMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve({ killed: true, code });
      else if (code === 0) resolve({ killed: false, code });
      else reject(new Error(`saver exited with ${code}: ${stderr}`));
    });
  });
}

async function checkEveryStep(dir: string): Promise<number | undefined> {
  const mngr = new ocp.CheckpointManager(dir, { readOnly: true });
  for (const step of mngr.allSteps()) {
    assert.ok(fs.existsSync(path.join(dir, String(step), "commit_success.txt")), `step ${step} listed without its commit marker`);
    const tree = (await mngr.restore(step)) as Record<string, jax.Array>;
    assert.deepEqual(Object.keys(tree).sort(), Array.from({ length: LEAVES }, (_, i) => `w${i}`));
    for (let leaf = 0; leaf < LEAVES; leaf++) {
      const got = new Uint32Array((await tree[`w${leaf}`].data()).buffer);
      const want = stateBits(step, leaf, ELEMENTS);
      assert.ok(got.length === want.length && got.every((v, i) => v === want[i]), `step ${step} leaf w${leaf} is not bit-identical`);
    }
    assert.deepEqual(mngr.metrics(step), { step });
  }
  return mngr.latestStep();
}

describe("ocp crash safety (SIGKILL during saves)", function () {
  this.timeout(20 * 60_000);
  let dir: string;
  before(() => (dir = scratchDir("crash")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("after each kill the newest committed step restores bit-identical and no partial step is listed", async () => {
    let kills = 0;
    let killedMidWrite = 0;
    let latest: number | undefined;
    for (let round = 0; round < 30; round++) {
      const from = latest === undefined ? 0 : latest + 1;
      if (from >= TOTAL) break;
      // Random moments while saves are in flight (a few steps in, a few ms after a
      // step is announced), aimed by step so that fast saves cannot outrun them;
      // the last rounds run to completion.
      const atStep = from + Math.floor(Math.random() * 3);
      const kill = round < 10 && atStep < TOTAL ? { atStep, delayMs: Math.floor(Math.random() * 40) } : undefined;
      const result = await runSaver(dir, from, kill);
      if (result.killed) kills++;
      if (fs.readdirSync(dir).some((n) => n.includes(".orbax-checkpoint-tmp"))) killedMidWrite++;
      const before = latest;
      latest = await checkEveryStep(dir);
      if (before !== undefined) assert.ok(latest !== undefined && latest >= before, `committed step ${before} vanished (latest now ${latest})`);
    }
    assert.equal(latest, TOTAL - 1);
    assert.ok(kills >= 5, `only ${kills} kills landed`);
    assert.ok(killedMidWrite >= 1, "no kill landed while a step was being written");
    // Retention (maxToKeep 3) held throughout, and leftovers of killed saves are cleaned at the next start.
    const mngr = new ocp.CheckpointManager(dir, { maxToKeep: 3 });
    assert.deepEqual(mngr.allSteps(), [TOTAL - 3, TOTAL - 2, TOTAL - 1]);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes("tmp")), []);
  });
});
