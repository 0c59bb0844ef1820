import assert from "node:assert/strict";
import { mapWithLimit } from "../../../src/ocp/format/concurrency.js";
import { rejection } from "./helpers.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ocp/format: mapWithLimit", () => {
  it("keeps at most `limit` calls in flight and returns results in input order", async () => {
    let running = 0;
    let most = 0;
    const out = await mapWithLimit([5, 1, 4, 2, 3, 0], 2, async (ms, i) => {
      most = Math.max(most, ++running);
      await tick(ms);
      running--;
      return ms * 10 + i;
    });
    assert.equal(most, 2);
    assert.deepEqual(out, [50, 11, 42, 23, 34, 5]);
  });

  it("after a failure starts nothing new, and throws the first error only once the calls in flight have ended", async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const error = await rejection(() =>
      mapWithLimit([0, 1, 2, 3, 4], 2, async (i) => {
        started.push(i);
        if (i === 0) {
          await tick(1);
          throw new Error("first");
        }
        await tick(30);
        ended.push(i);
        if (i === 1) throw new Error("second");
      }),
    );
    assert.match(error, /first/);
    assert.deepEqual(started, [0, 1], "nothing started after the failure");
    assert.deepEqual(ended, [1], "the call in flight ended before the error came out");
  });
});
