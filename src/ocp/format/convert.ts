import { elementCount, itemSize } from "./dtype.js";
import { bfloat16ToNumber, float16ToNumber, numberToBfloat16, numberToFloat16 } from "./half-float.js";
import type { HostArray, StoredDType } from "./types.js";

export type DecodeTarget = "float32" | "int32" | "uint32" | "bool" | "float64" | "float16";
/** float16 comes back as a Uint16Array of IEEE half bit patterns (Node 20 has no Float16Array). */
export type DecodedArray = Float32Array | Int32Array | Uint32Array | Uint8Array | Float64Array | Uint16Array;

const TARGET_SIZES: Record<DecodeTarget, number> = { float32: 4, int32: 4, uint32: 4, bool: 1, float64: 8, float16: 2 };

function aligned(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return new Uint8Array(bytes).buffer;
}

/** Reads element i of a host array as a JS number (int64 beyond 2^53 loses precision; callers range-check). */
function reader(array: HostArray): (i: number) => number {
  const { bytes } = array;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (array.dtype) {
    case "bool": case "uint8": return (i) => bytes[i];
    case "int8": return (i) => view.getInt8(i);
    case "int16": return (i) => view.getInt16(2 * i, true);
    case "uint16": return (i) => view.getUint16(2 * i, true);
    case "int32": return (i) => view.getInt32(4 * i, true);
    case "uint32": return (i) => view.getUint32(4 * i, true);
    case "int64": return (i) => Number(view.getBigInt64(8 * i, true));
    case "uint64": return (i) => Number(view.getBigUint64(8 * i, true));
    case "float16": return (i) => float16ToNumber(view.getUint16(2 * i, true));
    case "bfloat16": return (i) => bfloat16ToNumber(view.getUint16(2 * i, true));
    case "float32": return (i) => view.getFloat32(4 * i, true);
    case "float64": return (i) => view.getFloat64(8 * i, true);
  }
}

const isFloat = (d: StoredDType) => d === "float16" || d === "bfloat16" || d === "float32" || d === "float64";

/**
 * Converts a stored array to a typed array jax-js can hold: bfloat16/float16
 * -> float32, int64/uint64 -> int32 (range-checked), float64 -> float32, and so
 * on. Integer targets refuse values they cannot hold exactly (error names
 * `what`, e.g. the leaf's path); float targets round.
 */
export function decodeToTypedArray(array: HostArray, target: DecodeTarget, what = "array"): DecodedArray {
  const n = elementCount(array.shape);
  if (array.bytes.length !== n * itemSize(array.dtype)) {
    throw new Error(`${what}: ${array.dtype}${JSON.stringify(array.shape)} needs ${n * itemSize(array.dtype)} bytes, has ${array.bytes.length}`);
  }
  if (array.dtype === target || (target === "bool" && array.dtype === "uint8")) {
    const size = TARGET_SIZES[target];
    const buf = aligned(array.bytes, size);
    const offset = buf === array.bytes.buffer ? array.bytes.byteOffset : 0;
    const Ctor = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array, float64: Float64Array, float16: Uint16Array }[target];
    return new Ctor(buf, offset, n).slice();
  }
  const get = reader(array);
  switch (target) {
    case "float32": case "float64": {
      const out = target === "float32" ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = get(i);
      return out;
    }
    case "float16": {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = numberToFloat16(get(i));
      return out;
    }
    case "bool": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = get(i) !== 0 ? 1 : 0;
      return out;
    }
    case "int32": case "uint32": {
      if (isFloat(array.dtype)) throw new Error(`${what}: cannot convert ${array.dtype} to ${target} without losing the fractional part; convert to a float type`);
      const [lo, hi] = target === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
      const out = target === "int32" ? new Int32Array(n) : new Uint32Array(n);
      const exact = array.dtype === "int64" || array.dtype === "uint64" ? bigReader(array) : undefined;
      for (let i = 0; i < n; i++) {
        const v = exact ? exact(i) : get(i);
        if (v < lo || v > hi) {
          throw new Error(`${what}: element ${i} of ${array.dtype}${JSON.stringify(array.shape)} is ${v}, outside the ${target} range [${lo}, ${hi}]`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

function bigReader(array: HostArray): (i: number) => bigint {
  const view = new DataView(array.bytes.buffer, array.bytes.byteOffset, array.bytes.byteLength);
  return array.dtype === "int64" ? (i) => view.getBigInt64(8 * i, true) : (i) => view.getBigUint64(8 * i, true);
}

type Writer = (view: DataView, i: number, v: number | bigint) => void;
const WRITERS: Record<StoredDType, Writer> = {
  bool: (w, i, v) => w.setUint8(i, Number(v) ? 1 : 0),
  int8: (w, i, v) => w.setInt8(i, Number(v)),
  uint8: (w, i, v) => w.setUint8(i, Number(v)),
  int16: (w, i, v) => w.setInt16(2 * i, Number(v), true),
  uint16: (w, i, v) => w.setUint16(2 * i, Number(v), true),
  int32: (w, i, v) => w.setInt32(4 * i, Number(v), true),
  uint32: (w, i, v) => w.setUint32(4 * i, Number(v), true),
  int64: (w, i, v) => w.setBigInt64(8 * i, BigInt(v), true),
  uint64: (w, i, v) => w.setBigUint64(8 * i, BigInt(v), true),
  float16: (w, i, v) => w.setUint16(2 * i, numberToFloat16(Number(v)), true),
  bfloat16: (w, i, v) => w.setUint16(2 * i, numberToBfloat16(Number(v)), true),
  float32: (w, i, v) => w.setFloat32(4 * i, Number(v), true),
  float64: (w, i, v) => w.setFloat64(8 * i, Number(v), true),
};

/** Which stored dtypes a typed array's bytes already are, byte for byte. */
function rawDTypes(data: ArrayBufferView): StoredDType[] {
  if (data instanceof Uint8Array) return ["uint8", "bool"];
  if (data instanceof Int8Array) return ["int8"];
  // A Uint16Array is how half-float bit patterns travel (no Float16Array in Node 20).
  if (data instanceof Uint16Array) return ["uint16", "float16", "bfloat16"];
  if (data instanceof Int16Array) return ["int16"];
  if (data instanceof Int32Array) return ["int32"];
  if (data instanceof Uint32Array) return ["uint32"];
  if (data instanceof Float32Array) return ["float32"];
  if (data instanceof Float64Array) return ["float64"];
  if (data instanceof BigInt64Array) return ["int64"];
  if (data instanceof BigUint64Array) return ["uint64"];
  return [];
}

/**
 * Builds a host array of `dtype` from a typed array. Bytes are copied as they
 * are when the typed array already holds that dtype (a Uint16Array holds
 * float16/bfloat16 bit patterns, a Uint8Array bools); otherwise each element
 * is converted (Float32Array -> bfloat16 rounds to nearest even, Int32Array ->
 * int64 widens, ...).
 */
export function encodeFromTypedArray(data: ArrayBufferView, dtype: StoredDType, shape: number[]): HostArray {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`invalid shape ${JSON.stringify(shape)}: dimensions must be non-negative integers`);
  const n = elementCount(shape);
  const raw = rawDTypes(data);
  if (raw.length === 0) throw new Error(`encodeFromTypedArray: ${data.constructor.name} is not a supported typed array`);
  const length = data.byteLength / itemSize(raw[0]);
  if (length !== n) throw new Error(`encodeFromTypedArray: ${length} elements given for shape ${JSON.stringify(shape)} (${n} elements)`);
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (raw.includes(dtype)) return { dtype, shape: [...shape], bytes: src.slice() };
  const values = data as unknown as ArrayLike<number | bigint>;
  const bytes = new Uint8Array(n * itemSize(dtype));
  const view = new DataView(bytes.buffer);
  const write = WRITERS[dtype];
  for (let i = 0; i < n; i++) write(view, i, values[i]);
  return { dtype, shape: [...shape], bytes };
}
