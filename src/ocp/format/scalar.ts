import { decodeToTypedArray } from "./convert.js";
import { elementCount } from "./dtype.js";
import type { HostArray, LeafValue } from "./types.js";

/** Python int/float leaves are stored as 0-d int64/float64 arrays. */
export function scalarToArray(value: number, dtype: "int64" | "float64" | undefined, what: string): HostArray {
  if (!Number.isFinite(value) && dtype === "int64") throw new Error(`${what}: ${value} cannot be stored as an integer scalar`);
  const type = dtype ?? (Number.isInteger(value) ? "int64" : "float64");
  if (type === "int64" && !Number.isSafeInteger(value)) throw new Error(`${what}: integer scalar ${value} is not exactly representable`);
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  if (type === "int64") view.setBigInt64(0, BigInt(value), true);
  else view.setFloat64(0, value, true);
  return { dtype: type, shape: [], bytes };
}

export function convertScalar(array: HostArray, what: string): LeafValue {
  if (elementCount(array.shape) !== 1) throw new Error(`${what}: scalar leaf stored with shape ${JSON.stringify(array.shape)}`);
  if (array.dtype === "int64" || array.dtype === "uint64") {
    const view = new DataView(array.bytes.buffer, array.bytes.byteOffset, 8);
    const v = array.dtype === "int64" ? view.getBigInt64(0, true) : view.getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error(`${what}: integer scalar ${v} does not fit a JS number exactly`);
    return { kind: "scalar", value: Number(v), dtype: "int64" };
  }
  return { kind: "scalar", value: decodeToTypedArray(array, "float64", what)[0], dtype: "float64" };
}
