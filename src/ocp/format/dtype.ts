import type { StoredDType } from "./types.js";

const ITEM_SIZES: Record<StoredDType, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8,
  float16: 2, bfloat16: 2, float32: 4, float64: 8,
};

export const STORED_DTYPES = Object.keys(ITEM_SIZES) as StoredDType[];

export function itemSize(dtype: StoredDType): number {
  return ITEM_SIZES[dtype];
}

export function isStoredDType(name: unknown): name is StoredDType {
  return typeof name === "string" && Object.hasOwn(ITEM_SIZES, name);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** zarr v2 `dtype` strings as tensorstore writes them (bfloat16 has no numpy typestr, tensorstore spells it out). */
const ZARR2_NAMES: Record<StoredDType, string> = {
  bool: "|b1", int8: "|i1", uint8: "|u1", int16: "<i2", uint16: "<u2", int32: "<i4", uint32: "<u4",
  int64: "<i8", uint64: "<u8", float16: "<f2", bfloat16: "bfloat16", float32: "<f4", float64: "<f8",
};

export function zarr2DTypeName(dtype: StoredDType): string {
  return ZARR2_NAMES[dtype];
}

/** Parses a zarr v2 dtype; `bigEndian` says whether stored bytes need swapping. */
export function parseZarr2DType(name: unknown, what: string): { dtype: StoredDType; bigEndian: boolean } {
  if (name === "bfloat16") return { dtype: "bfloat16", bigEndian: false };
  if (typeof name === "string" && /^[<>|=][biuf][1248]$/.test(name)) {
    const canonical = (name[2] === "1" ? "|" : "<") + name.slice(1);
    const found = (Object.keys(ZARR2_NAMES) as StoredDType[]).find((d) => ZARR2_NAMES[d] === canonical);
    if (found) return { dtype: found, bigEndian: name[0] === ">" && name[2] !== "1" };
  }
  throw new Error(`${what}: unsupported zarr dtype ${JSON.stringify(name)}`);
}

/** Reverses the byte order of each element in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}
