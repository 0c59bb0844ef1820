import type { TreePath } from "../runtime/pytree.js";

/** `linear1.kernel`, `layers.0.bias`: how paths read in reprs and error messages. */
export function formatPath(path: TreePath): string {
  return path.length === 0 ? "<root>" : path.map(String).join(".");
}

/** At most `limit` paths, then how many more: errors stay readable on big models. */
export function formatPaths(paths: readonly TreePath[], limit = 10): string {
  const shown = paths.slice(0, limit).map(formatPath).join(", ");
  return paths.length > limit ? `${shown} (and ${paths.length - limit} more)` : shown;
}

/** Python's key order for one node: integers first, ascending, then strings by code unit. */
export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
