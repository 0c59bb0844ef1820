/** IPython's `name?` help syntax, recognised without taking any valid TypeScript. */
import assert from "node:assert/strict";
import { parseHelpRequest } from "../../src/kernel/help-request.js";

describe("kernel help requests (name?)", () => {
  it("recognises name?, ?name, name?? and dotted names", () => {
    assert.deepEqual(parseHelpRequest("Math.max?"), { expression: "Math.max", detailLevel: 0 });
    assert.deepEqual(parseHelpRequest("  ?x \n"), { expression: "x", detailLevel: 0 });
    assert.deepEqual(parseHelpRequest("nnx.Linear??"), { expression: "nnx.Linear", detailLevel: 1 });
  });

  it("leaves TypeScript alone: optional chaining, conditionals, plain names", () => {
    for (const code of ["a?.b", "a ? b : c", "x", "f()?", "a?b", "1?", "x?\ny"]) assert.equal(parseHelpRequest(code), undefined, code);
  });
});
