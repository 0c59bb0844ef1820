import assert from "node:assert/strict";
import { IDLE_MS, MAX_CELLS_BETWEEN, exposedGc, heapCollector } from "../../src/kernel/heap-collector.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("kernel: heap collections between cells", () => {
  it("collects once the kernel has been idle for a moment after a cell", async () => {
    let collections = 0;
    const heap = heapCollector(() => collections++);
    heap.cellDone();
    assert.equal(collections, 0, "not in the reply path");
    await sleep(IDLE_MS + 100);
    assert.equal(collections, 1);
  });

  it("a request before the idle moment ends puts the collection off", async () => {
    let collections = 0;
    const heap = heapCollector(() => collections++);
    heap.cellDone();
    await sleep(IDLE_MS / 2);
    heap.busy();
    await sleep(IDLE_MS + 100);
    assert.equal(collections, 0);
  });

  it("works ahead for the next cell when idle, before that collection, and not between back-to-back cells", async () => {
    const events: string[] = [];
    const heap = heapCollector(
      () => events.push("collect"),
      () => events.push("work ahead"),
    );
    for (let cell = 1; cell <= MAX_CELLS_BETWEEN; cell++) {
      heap.busy();
      heap.cellDone();
    }
    assert.deepEqual(events, ["collect"]);
    heap.cellDone();
    await sleep(IDLE_MS + 100);
    assert.deepEqual(events, ["collect", "work ahead", "collect"]);
  });

  it(`collects at the latest every ${MAX_CELLS_BETWEEN} back-to-back cells`, () => {
    let collections = 0;
    const heap = heapCollector(() => collections++);
    for (let cell = 1; cell <= 3 * MAX_CELLS_BETWEEN; cell++) {
      heap.busy();
      heap.cellDone();
      assert.equal(collections, Math.floor(cell / MAX_CELLS_BETWEEN), `after cell ${cell}`);
    }
    heap.busy();
  });

  it("reaches V8's full collection without --expose-gc on the command line, and it frees garbage", () => {
    const collect = exposedGc();
    assert.equal(typeof collect, "function");
    let garbage: number[][] | null = Array.from({ length: 200 }, () => Array.from({ length: 10_000 }, (_, i) => i + 0.5));
    const withGarbage = process.memoryUsage().heapUsed;
    garbage = null;
    collect!();
    // 200 x 10,000 doubles: about 16 MB that the collection gives back.
    assert.ok(withGarbage - process.memoryUsage().heapUsed > 10 * 2 ** 20);
  });
});
