import { treeMap } from "./tree.js";

/** params + updates, leaf by leaf, keeping each param's dtype (consumes both). */
export function applyUpdates<T>(params: T, updates: T): T {
  return treeMap((p, u) => {
    const dtype = p.dtype;
    return p.add(u).astype(dtype);
  }, params, updates);
}
