/** The `tsnnx ckpt` command as a user runs it (a child process), on tsnnx- and Orbax-written checkpoints. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { scratchDir } from "./scratch.js";

const fixture = path.resolve(
  "test/fixtures/orbax/checkpoint/orbax/checkpoint/experimental/v1/_src/testing/compatibility/checkpoints/v0_checkpoints/direct_checkpoint/checkpoint_metadata_present/pytree_checkpointable_has_metadata",
);

function tsnnx(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { encoding: "utf8", env: { ...process.env, TSNNX_THREADS: "1" }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tsnnx ckpt (CLI)", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = scratchDir("cli");
    const mngr = new ocp.CheckpointManager(path.join(dir, "run"));
    for (const step of [1, 2]) {
      await mngr.save(step, { args: ocp.args.StandardSave({ w: jax.numpy.array(new Float32Array(1000).fill(step), { shape: [10, 100] }) }), metrics: { loss: step / 10 } });
    }
    await mngr.close();
    const prefixed = new ocp.CheckpointManager(path.join(dir, "prefixed"), { stepPrefix: "ckpt", stepFormatFixedLength: 4 });
    await prefixed.save(12, { args: ocp.args.StandardSave({ b: 1 }) });
    await prefixed.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("ls lists steps with time, size and metrics", () => {
    const { code, stdout, stderr } = tsnnx("ckpt", "ls", path.join(dir, "run"));
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split("\n");
    assert.match(lines[0], /^step\s+time\s+size\s+metrics$/);
    assert.match(lines[1], /^1\s+20\d\d-\d\d-\d\dT\S+Z\s+[\d.]+ KiB\s+\{"loss":0.1\}$/);
    assert.match(lines[2], /^2\s+.*\{"loss":0.2\}$/);
    const prefixed = tsnnx("ckpt", "ls", path.join(dir, "prefixed"));
    assert.match(prefixed.stdout, /\n12\s+20\d\d-/, prefixed.stderr);
  });

  it("show prints the stored tree of the latest step, or of a Python-written checkpoint", () => {
    const ours = tsnnx("ckpt", "show", path.join(dir, "run"));
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout, /2\/default \(zarr2 in OCDBT, 1 leaves, 3\.9 KiB\)/);
    assert.match(ours.stdout, /w\s+\[10, 100\]\s+float32\s+4000/);
    const orbax = tsnnx("ckpt", "show", fixture);
    assert.equal(orbax.code, 0, orbax.stderr);
    assert.match(orbax.stdout, /a\s+\[8\]\s+int32\s+32/);
    assert.match(orbax.stdout, /b\.c\s+\[3\]\s+int32\s+12/);
  });

  it("verify reads every array, drawing progress on stderr", () => {
    const { code, stdout, stderr } = tsnnx("ckpt", "verify", path.join(dir, "run"), "1");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /step 1: every item read and decoded/);
    assert.match(stderr, /restore \[#+\] 3\.9 KiB \/ 3\.9 KiB/);
  });

  it("bad input: a clear message and a non-zero exit", () => {
    const missing = tsnnx("ckpt", "ls", path.join(dir, "nope"));
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /ckpt ls: .*nope does not exist/);
    const badStep = tsnnx("ckpt", "show", path.join(dir, "run"), "x");
    assert.match(badStep.stderr, /STEP must be a non-negative integer, got "x"/);
    const noStep = tsnnx("ckpt", "show", path.join(dir, "run"), "9");
    assert.match(noStep.stderr, /step 9 was not found .*Available steps: \[1, 2\]/);
    assert.equal(tsnnx("frobnicate").code, 2);
  });
});

describe("ocp progress reporting", () => {
  it("reports bytes done/total for saves and restores, ending at the total", async () => {
    const dir = scratchDir("progress");
    try {
      const events: ocp.ProgressEvent[] = [];
      const ckptr = new ocp.StandardCheckpointer({ onProgress: (e) => events.push(e) });
      const state = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`w${i}`, jax.numpy.array(new Float32Array(4096).fill(i))]));
      await ckptr.save(path.join(dir, "c"), state);
      await ckptr.restore(path.join(dir, "c"));
      for (const phase of ["save", "restore"] as const) {
        const mine = events.filter((e) => e.phase === phase);
        assert.ok(mine.length >= 2, `${phase}: ${mine.length} events`);
        assert.ok(mine.every((e, i) => e.totalBytes === 8 * 4096 * 4 && (i === 0 || e.doneBytes >= mine[i - 1].doneBytes)), phase);
        assert.equal(mine.at(-1)!.doneBytes, 8 * 4096 * 4, phase);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
