/**
 * Crash safety: a child process saving 50 steps is killed with SIGKILL at
 * random moments, again and again. After every kill, every listed step must
 * restore bit-identical and no partial step may be listed. A second run
 * overwrites each step with force right after saving it, and some kills land
 * exactly between the two renames of such an overwrite: no committed step may
 * be lost, and each must hold its old or its new value.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { ELEMENTS, LEAVES, versionBits } from "./scripts/crash-state.js";
import { scratchDir } from "./scratch.js";

const TOTAL = 50;

/** Where to kill the saver: `delayMs` after it announces step `atStep`. */
interface KillPlan {
  atStep: number;
  delayMs: number;
}

interface SaverRun {
  killed: boolean;
  code: number | null;
  stdout: string;
}

/** Starts the saver (`extra`: its mode arguments); resolves once it is killed as planned, or exits. */
function runSaver(dir: string, from: number, total: number, kill: KillPlan | undefined, extra: string[] = []): Promise<SaverRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/ocp/scripts/crash-saver.ts", dir, String(from), String(total), ...extra], {
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
      if (signal === "SIGKILL") resolve({ killed: true, code, stdout });
      else if (code === 0) resolve({ killed: false, code, stdout });
      else reject(new Error(`saver exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * Checks every listed step through a read-only manager (which lists a step
 * whose overwrite was interrupted from the folder holding its committed copy).
 * With `overwrite`, a step may hold either version, named by its metrics.
 */
async function checkEveryStep(dir: string, overwrite = false): Promise<number[]> {
  const mngr = new ocp.CheckpointManager(dir, { readOnly: true });
  for (const step of mngr.allSteps()) {
    assert.ok(fs.existsSync(path.join(mngr.stepPath(step), "commit_success.txt")), `step ${step} listed without its commit marker`);
    const metrics = mngr.metrics(step);
    const version = overwrite ? (metrics?.version as number) : 0;
    assert.deepEqual(metrics, overwrite ? { step, version } : { step });
    assert.ok(version === 0 || version === 1, `step ${step} has version ${version}`);
    const tree = (await mngr.restore(step)) as Record<string, jax.Array>;
    assert.deepEqual(Object.keys(tree).sort(), Array.from({ length: LEAVES }, (_, i) => `w${i}`));
    for (let leaf = 0; leaf < LEAVES; leaf++) {
      const got = new Uint32Array((await tree[`w${leaf}`].data()).buffer);
      const want = versionBits(step, version, leaf, ELEMENTS);
      assert.ok(got.length === want.length && got.every((v, i) => v === want[i]), `step ${step} leaf w${leaf} is not bit-identical to version ${version}`);
    }
  }
  return mngr.allSteps();
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
      const result = await runSaver(dir, from, TOTAL, kill);
      if (result.killed) kills++;
      if (fs.readdirSync(dir).some((n) => n.includes(".orbax-checkpoint-tmp"))) killedMidWrite++;
      const before = latest;
      latest = (await checkEveryStep(dir)).at(-1);
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

  it("with forced overwrites, every committed step survives kills (also between the renames) with its old or new value", async () => {
    const total = 20;
    const overwriteDir = scratchDir("crash-overwrite");
    try {
      let latest: number | undefined;
      let hitWindow = 0;
      let selfKills = 0;
      for (let round = 0; round < 30; round++) {
        const from = latest === undefined ? 0 : latest + 1;
        if (from >= total) break;
        const atStep = Math.min(from + Math.floor(Math.random() * 3), total - 1);
        // Alternate: a kill right after an overwrite moved the old step aside, and a kill at a random moment.
        const selfKill = round < 8 && round % 2 === 0;
        const kill = round < 8 && !selfKill ? { atStep, delayMs: Math.floor(Math.random() * 40) } : undefined;
        const result = await runSaver(overwriteDir, from, total, kill, selfKill ? ["overwrite", String(atStep)] : ["overwrite"]);
        if (selfKill) {
          selfKills++;
          assert.ok(result.killed, `the saver was to kill itself during step ${atStep}'s overwrite`);
          const names = fs.readdirSync(overwriteDir);
          if (names.includes(`${atStep}.orbax-checkpoint-tmp-replaced`) && !names.includes(String(atStep))) hitWindow++;
        }
        const committed = [...result.stdout.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
        const listed = await checkEveryStep(overwriteDir, true);
        // A step announced committed is the newest or second newest: retention (maxToKeep 3) cannot have removed it.
        if (committed.length > 0) assert.ok(listed.includes(committed.at(-1)!), `committed step ${committed.at(-1)} vanished (listed: [${listed.join(", ")}])`);
        if (latest !== undefined) assert.ok(listed.includes(latest) || listed.at(-1)! >= latest + 3, `committed step ${latest} vanished (listed: [${listed.join(", ")}])`);
        latest = listed.at(-1);
      }
      assert.equal(latest, total - 1);
      assert.ok(selfKills >= 4 && hitWindow === selfKills, `${hitWindow} of ${selfKills} kills landed between the renames`);
      const mngr = new ocp.CheckpointManager(overwriteDir, { maxToKeep: 3 });
      assert.deepEqual(mngr.allSteps(), [total - 3, total - 2, total - 1]);
      assert.deepEqual(fs.readdirSync(overwriteDir).filter((n) => n.includes("tmp")), []);
    } finally {
      fs.rmSync(overwriteDir, { recursive: true, force: true });
    }
  });
});
