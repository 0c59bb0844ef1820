import assert from "node:assert/strict";
import { normaliseVolatile } from "../../../src/kernel/notebook-cli/normalise.js";

describe("normaliseVolatile (what check-output cells may differ in)", () => {
  it("masks dates, clock times, durations and rates", () => {
    assert.equal(normaliseVolatile("saved at 2026-12-04T00:12:08.123Z"), "saved at <DATETIME>");
    assert.equal(normaliseVolatile("on 2026-12-04 00:12:08+01:00, step 3"), "on <DATETIME>, step 3");
    assert.equal(normaliseVolatile("day 2025-01-31"), "day <DATE>");
    assert.equal(normaliseVolatile("at 12:34:56 done"), "at <TIME> done");
    assert.equal(normaliseVolatile("took 1.23 ms, then 4s and 2 minutes"), "took <DURATION>, then <DURATION> and <DURATION>");
    assert.equal(normaliseVolatile("wrote 3.1 GB/s, read 512 MiB/s, 87 it/s"), "wrote <RATE>, read <RATE>, <RATE>");
  });

  it("masks temporary and absolute paths, addresses and ids, but not markup or URLs", () => {
    assert.equal(normaliseVolatile("saved to /tmp/tsnnx-ab12/ckpt/3"), "saved to <TMP>");
    assert.equal(normaliseVolatile('"/home/me/project/checkpoints" exists'), '"<PATH>" exists');
    assert.equal(normaliseVolatile("buffer at 0x7ffd5e8a1c40"), "buffer at 0x<ADDRESS>");
    assert.equal(normaliseVolatile("display 3f2b8c1e-9a4d-4e5f-8b6a-0c1d2e3f4a5b"), "display <UUID>");
    const stable = '<div class="tree"><b>Linear</b></div> https://flax.readthedocs.io/en/latest/nnx_basics.html kernel: float32[2,16] 5 steps, lr 0.05, 3/4';
    assert.equal(normaliseVolatile(stable), stable);
  });

  it("leaves what a notebook computes alone", () => {
    assert.equal(normaliseVolatile("loss 0.1234 at step 12"), "loss 0.1234 at step 12");
    assert.notEqual(normaliseVolatile("loss 0.1234"), normaliseVolatile("loss 0.1235"));
  });
});
