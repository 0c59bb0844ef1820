import type { LeafPath } from "./types.js";

/** The string Orbax writes for each key: list positions become "0", "1", ... */
export function keyStrings(path: LeafPath): string[] {
  return path.keys.map(String);
}

/** Orbax's parameter name: the keys joined with "." (also the zarr array's folder name). */
export function paramName(path: LeafPath): string {
  return keyStrings(path).join(".");
}

/** Checks a path is one Orbax can store, naming the path and the problem if not. */
export function validateLeafPath(path: LeafPath): void {
  const shown = JSON.stringify(path.keys);
  if (!Array.isArray(path.keys) || path.keys.length === 0) throw new Error(`leaf path ${shown}: a leaf needs at least one key`);
  if (!Array.isArray(path.keyTypes) || path.keyTypes.length !== path.keys.length) {
    throw new Error(`leaf path ${shown}: keyTypes ${JSON.stringify(path.keyTypes)} must have one entry per key`);
  }
  path.keys.forEach((key, i) => {
    const type = path.keyTypes[i];
    if (type === 1) {
      if (!(typeof key === "number" && Number.isSafeInteger(key) && key >= 0)) {
        throw new Error(`leaf path ${shown}: key ${JSON.stringify(key)} has key type 1 (sequence index) but is not a non-negative integer`);
      }
    } else if (type === 2) {
      if (typeof key !== "string" && typeof key !== "number") throw new Error(`leaf path ${shown}: key ${JSON.stringify(key)} must be a string`);
    } else {
      throw new Error(`leaf path ${shown}: key type ${JSON.stringify(type)} is neither 1 (sequence) nor 2 (dict key/attribute)`);
    }
    const s = String(key);
    if (s === "") throw new Error(`leaf path ${shown}: empty keys cannot be stored (the array's name would be ambiguous)`);
    if (s.includes("/")) throw new Error(`leaf path ${shown}: key ${JSON.stringify(s)} contains "/", which would split the array's storage name`);
  });
}
