import assert from "node:assert/strict";
import { checkStep, parseStepName, stepName } from "../../src/ocp/step-names.js";

describe("ocp step folder names", () => {
  it("formats and parses plain, prefixed and fixed-length names", () => {
    assert.equal(stepName(7, {}), "7");
    assert.equal(stepName(7, { stepPrefix: "ckpt" }), "ckpt_7");
    assert.equal(stepName(7, { stepPrefix: "ckpt", stepFormatFixedLength: 4 }), "ckpt_0007");
    assert.equal(parseStepName("0007", { stepFormatFixedLength: 4 }), 7);
    assert.equal(parseStepName("ckpt_12", { stepPrefix: "ckpt" }), 12);
  });
  it("never takes temporary folders or other names for steps", () => {
    assert.equal(parseStepName("7.orbax-checkpoint-tmp", {}), undefined);
    assert.equal(parseStepName("7.orbax-checkpoint-tmp-1234", {}), undefined);
    assert.equal(parseStepName("ckpt_7", {}), undefined);
    assert.equal(parseStepName("7", { stepPrefix: "ckpt" }), undefined);
    assert.equal(parseStepName("metrics", {}), undefined);
    assert.equal(parseStepName("-1", {}), undefined);
  });
  it("rejects non-integer and negative steps with the value named", () => {
    assert.throws(() => checkStep(1.5, "save"), /save: the step must be a non-negative integer, got 1.5/);
    assert.throws(() => checkStep(-2, "save"), /got -2/);
    assert.throws(() => checkStep("3", "save"), /got "3"/);
  });
});
