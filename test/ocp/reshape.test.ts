import assert from "node:assert/strict";
import { padOrTruncate } from "../../src/ocp/reshape.js";

const host = (values: number[], shape: number[]) => ({ dtype: "int32" as const, shape, bytes: new Uint8Array(new Int32Array(values).buffer) });
const values = (a: { bytes: Uint8Array }) => [...new Int32Array(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength / 4)];

describe("ocp non-strict restore: pad with zeros / truncate per axis", () => {
  it("truncates a 2x3 to 2x2 and pads it to 3x4", () => {
    const a = host([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(values(padOrTruncate(a, [2, 2])), [1, 2, 4, 5]);
    assert.deepEqual(values(padOrTruncate(a, [3, 4])), [1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0]);
  });
  it("pads and truncates a vector and refuses a rank change", () => {
    assert.deepEqual(values(padOrTruncate(host([1, 2, 3], [3]), [5])), [1, 2, 3, 0, 0]);
    assert.deepEqual(values(padOrTruncate(host([1, 2, 3], [3]), [1])), [1]);
    assert.throws(() => padOrTruncate(host([1, 2, 3], [3]), [3, 1]), /ranks differ/);
  });
});
