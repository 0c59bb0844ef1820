import assert from "node:assert/strict";
import { crc32c } from "../../../src/ocp/format/crc32c.js";
import { bfloat16ToNumber, float16ToNumber, numberToBfloat16, numberToFloat16 } from "../../../src/ocp/format/half-float.js";
import { decodeMsgpack } from "../../../src/ocp/format/msgpack.js";
import { decodeToTypedArray, encodeFromTypedArray } from "../../../src/ocp/format/index.js";

const ascii = (s: string) => new TextEncoder().encode(s);

describe("ocp/format: CRC-32C", () => {
  it("matches the published check values", () => {
    assert.equal(crc32c(ascii("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    // RFC 3720 (iSCSI) B.4 test vectors.
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it("gives the same result at any alignment and length (word-at-a-time path vs byte path)", () => {
    const data = Uint8Array.from({ length: 1003 }, (_, i) => (i * 37 + 11) & 255);
    const bytewise = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    for (const [s, e] of [[0, 1003], [1, 1000], [3, 7], [5, 5]]) assert.equal(crc32c(data.subarray(s, e)), bytewise(data.subarray(s, e)));
  });
});

describe("ocp/format: half-precision floats", () => {
  it("decodes known float16 and bfloat16 bit patterns", () => {
    assert.equal(float16ToNumber(0x3e00), 1.5);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24); // smallest subnormal
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.equal(bfloat16ToNumber(0x3fc0), 1.5);
    assert.equal(bfloat16ToNumber(0xc000), -2);
    assert.equal(bfloat16ToNumber(0x477f), 65280);
  });

  it("encodes with round-to-nearest-even", () => {
    assert.equal(numberToFloat16(1.5), 0x3e00);
    assert.equal(numberToFloat16(65504), 0x7bff);
    assert.equal(numberToFloat16(65520), 0x7c00); // halfway to the next binade rounds to infinity
    assert.equal(numberToFloat16(2 ** -24), 0x0001);
    assert.equal(numberToFloat16(1 + 2 ** -11), 0x3c00); // tie, stays even
    assert.equal(numberToFloat16(1 + 3 * 2 ** -11), 0x3c02); // tie, rounds up to even
    assert.equal(numberToFloat16(-0), 0x8000);
    assert.equal(numberToBfloat16(1.5), 0x3fc0);
    assert.equal(numberToBfloat16(65504), 0x4780); // 65504 is not a bfloat16: rounds to 65536
    assert.equal(numberToBfloat16(1 + 2 ** -8), 0x3f80); // tie, stays even
    assert.equal(numberToBfloat16(NaN) & 0x7fc0, 0x7fc0);
  });
});

describe("ocp/format: decodeToTypedArray / encodeFromTypedArray", () => {
  it("widens bfloat16 and float16 to float32", () => {
    const bf = { dtype: "bfloat16" as const, shape: [3], bytes: Uint8Array.of(0xc0, 0x3f, 0x00, 0xc0, 0x7f, 0x47) };
    assert.deepEqual([...decodeToTypedArray(bf, "float32")], [1.5, -2, 65280]);
    const f16 = { dtype: "float16" as const, shape: [3], bytes: Uint8Array.of(0x00, 0x3e, 0x00, 0xc0, 0xff, 0x7b) };
    assert.deepEqual([...decodeToTypedArray(f16, "float32")], [1.5, -2, 65504]);
    assert.deepEqual([...decodeToTypedArray(f16, "float16")], [0x3e00, 0xc000, 0x7bff]);
  });

  it("narrows int64 to int32 when every value fits, and names the leaf when one does not", () => {
    const ok = encodeFromTypedArray(BigInt64Array.of(-5n, 2147483647n), "int64", [2]);
    assert.deepEqual([...decodeToTypedArray(ok, "int32")], [-5, 2147483647]);
    const bad = encodeFromTypedArray(BigInt64Array.of(1n, 2147483648n), "int64", [2]);
    assert.throws(() => decodeToTypedArray(bad, "int32", "leaf ['opt', 'count']"), /leaf \['opt', 'count'\]: element 1 .* is 2147483648, outside the int32 range/);
    assert.throws(() => decodeToTypedArray(encodeFromTypedArray(Float32Array.of(1.5), "float32", [1]), "int32"), /fractional/);
  });

  it("narrows float64 to float32 and reads bools", () => {
    const f64 = encodeFromTypedArray(Float64Array.of(0.1, 3), "float64", [2]);
    assert.deepEqual([...decodeToTypedArray(f64, "float32")], [Math.fround(0.1), 3]);
    assert.deepEqual([...decodeToTypedArray({ dtype: "bool", shape: [2], bytes: Uint8Array.of(1, 0) }, "bool")], [1, 0]);
  });

  it("converts typed arrays to other stored dtypes, and copies raw bytes when they match", () => {
    assert.deepEqual([...encodeFromTypedArray(Float32Array.of(1.5, -2), "bfloat16", [2]).bytes], [0xc0, 0x3f, 0x00, 0xc0]);
    assert.deepEqual([...encodeFromTypedArray(Uint16Array.of(0x3e00), "float16", [1]).bytes], [0x00, 0x3e]);
    assert.deepEqual([...encodeFromTypedArray(Int32Array.of(-1), "int64", [1]).bytes], [255, 255, 255, 255, 255, 255, 255, 255]);
    const source = Float32Array.of(1, 2);
    const copy = encodeFromTypedArray(source, "float32", [2]);
    source[0] = 9;
    assert.deepEqual([...new Float32Array(copy.bytes.buffer)], [1, 2]);
  });

  it("rejects an element count that does not match the shape", () => {
    assert.throws(() => encodeFromTypedArray(Float32Array.of(1, 2, 3), "float32", [2, 2]), /3 elements given for shape \[2,2\]/);
    assert.throws(() => decodeToTypedArray({ dtype: "int32", shape: [2], bytes: new Uint8Array(4) }, "int32", "leaf x"), /leaf x: int32\[2\] needs 8 bytes, has 4/);
  });
});

describe("ocp/format: msgpack decoder", () => {
  it("decodes the msgpack spec's encodings", () => {
    // {"a": [1, -1, 300, -200, 1.5, null, true, "hé"], "b": bin(2), "c": 2^53+1 as uint64}
    const bytes = Uint8Array.of(
      0x83,
      0xa1, 0x61, 0x98, 0x01, 0xff, 0xcd, 0x01, 0x2c, 0xd1, 0xff, 0x38, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xc3, 0xa3, 0x68, 0xc3, 0xa9,
      0xa1, 0x62, 0xc4, 0x02, 0x07, 0x08,
      0xa1, 0x63, 0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0x01,
    );
    const value = decodeMsgpack(bytes, "test") as Map<string, unknown>;
    assert.deepEqual(value.get("a"), [1, -1, 300, -200, 1.5, null, true, "hé"]);
    assert.deepEqual(value.get("b"), Uint8Array.of(7, 8));
    assert.equal(value.get("c"), 2n ** 53n + 1n);
  });

  it("names the source when data is truncated or malformed", () => {
    assert.throws(() => decodeMsgpack(Uint8Array.of(0x92, 0x01), "ckpt/checkpoint"), /ckpt\/checkpoint: truncated/);
    assert.throws(() => decodeMsgpack(Uint8Array.of(0xc1), "ckpt/checkpoint"), /ckpt\/checkpoint: invalid msgpack type byte 0xc1/);
    assert.throws(() => decodeMsgpack(Uint8Array.of(0x01, 0x02), "ckpt/checkpoint"), /trailing data/);
  });
});
