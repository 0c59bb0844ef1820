import assert from "node:assert/strict";
import vm from "node:vm";
import { cellContext, currentCell, outsideCell, type RunningCell } from "../../../src/kernel/exec/cell-context.js";

const cellNumbered = (executionCount: number): RunningCell => ({
  io: {} as RunningCell["io"],
  executionCount,
  running: true,
  pending: new Set(),
  fail: () => undefined,
});

describe("kernel/exec: cell context", () => {
  it("outsideCell runs a call with no cell, and the caller keeps its cell", () => {
    const cell = cellNumbered(1);
    cellContext.run(cell, () => {
      assert.equal(outsideCell(() => currentCell()), undefined);
      assert.equal(currentCell(), cell);
    });
  });

  it("a script stopped inside outsideCell (as an interrupt stops it) leaves other cells' timers their cell", async () => {
    const earlier = cellNumbered(1);
    let seen: RunningCell | undefined;
    const fired = new Promise<void>((resolve) =>
      cellContext.run(earlier, () =>
        setTimeout(() => {
          seen = currentCell();
          resolve();
        }, 50),
      ),
    );
    // vm's timeout ends the script the way an interrupt does: by terminating it, which skips `finally` blocks.
    cellContext.run(cellNumbered(2), () => {
      assert.throws(() => vm.runInNewContext("outsideCell(() => { for (;;) {} })", { outsideCell }, { timeout: 20 }), { code: "ERR_SCRIPT_EXECUTION_TIMEOUT" });
    });
    await fired;
    assert.equal(seen, earlier);
  });
});
