import { encodeFromTypedArray } from "../convert.js";
import { itemSize } from "../dtype.js";
import type { StoredDType } from "../types.js";

/** One element's bytes for a zarr `fill_value` (null means zeros, as tensorstore reads it). */
export function fillValueBytes(fill: unknown, dtype: StoredDType, what: string): Uint8Array {
  if (fill === null || fill === undefined) return new Uint8Array(itemSize(dtype));
  if (typeof fill === "boolean") return encodeFromTypedArray(Float64Array.of(fill ? 1 : 0), dtype, []).bytes;
  if (typeof fill === "number") return encodeFromTypedArray(Float64Array.of(fill), dtype, []).bytes;
  if (typeof fill === "string") {
    const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
    if (fill in special) return encodeFromTypedArray(Float64Array.of(special[fill]), dtype, []).bytes;
    // zarr v3 spells raw bit patterns as "0x..." (big-endian hex of the element).
    if (/^0x[0-9a-fA-F]+$/.test(fill) && (fill.length - 2) / 2 === itemSize(dtype)) {
      const bytes = new Uint8Array(itemSize(dtype));
      for (let i = 0; i < bytes.length; i++) bytes[bytes.length - 1 - i] = parseInt(fill.slice(2 + 2 * i, 4 + 2 * i), 16);
      return bytes;
    }
  }
  throw new Error(`${what}: unsupported fill_value ${JSON.stringify(fill)} for ${dtype}`);
}

export function repeatFill(one: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(one.length * count);
  if (one.every((b) => b === 0)) return out;
  for (let i = 0; i < count; i++) out.set(one, i * one.length);
  return out;
}
