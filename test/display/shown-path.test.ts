/** shownPath: inside the notebook's folder relative, outside it absolute. */
import assert from "node:assert/strict";
import path from "node:path";
import { shownPath } from "../../src/display/shown-path.js";

describe("display: shownPath", () => {
  const base = path.resolve("/srv/notebooks");
  it("shows a path inside the base relative to it", () => {
    assert.equal(shownPath(path.join(base, "checkpoints", "6"), base), path.join("checkpoints", "6"));
    assert.equal(shownPath(base, base), ".");
  });
  it("keeps a path outside the base absolute", () => {
    assert.equal(shownPath(path.resolve("/srv/other/ckpt"), base), path.resolve("/srv/other/ckpt"));
    assert.equal(shownPath(path.resolve("/srv/notebooks-old/ckpt"), base), path.resolve("/srv/notebooks-old/ckpt"));
  });
});
