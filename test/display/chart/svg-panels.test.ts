import assert from "node:assert/strict";
import { niceTicks, shortNumber, tickLabels } from "../../../src/display/chart/svg-panels.js";

describe("display/chart/svg-panels", () => {
  it("labels ticks that three significant digits would merge with the decimals of the step", () => {
    // A checkpoint's size in KiB over steps that differ by bytes: 4.695..4.705.
    const ticks = niceTicks(4.6924, 4.7071, 4);
    assert.deepEqual(ticks, [4.695, 4.7, 4.705]);
    assert.deepEqual(ticks.map(shortNumber), ["4.7", "4.7", "4.71"]);
    assert.deepEqual(tickLabels(ticks, shortNumber), ["4.695", "4.700", "4.705"]);
  });

  it("keeps the short labels where they already differ", () => {
    assert.deepEqual(tickLabels([0.2, 0.25, 0.3], shortNumber), ["0.2", "0.25", "0.3"]);
    assert.deepEqual(tickLabels([1000, 2000], shortNumber), ["1000", "2000"]);
    assert.deepEqual(tickLabels([5], shortNumber), ["5"]);
  });
});
