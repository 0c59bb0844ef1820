/**
 * The words every renderer shares, so HTML, text and JSON say the same:
 * Treescope's count line (`# Param: 146 (584 B), BatchStat: 32 (128 B),
 * Total: 178 (712 B)`), its stats line (`≈0.073 ±0.56 [≥-1.1, ≤1.0]
 * nonzero:64`), shapes as nnx's reprs write them (`float32[4,16]`), paths.
 */
import type { TreeKey, TreePath } from "../../runtime/pytree.js";
import { addTotals, grandTotal, type ArrayInfo, type Totals, type TreeNode } from "./model.js";
import type { LeafStats } from "./stats.js";

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Two significant digits, as Treescope writes summaries. */
export function formatStat(x: number): string {
  if (x === 0) return "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e5 || abs < 1e-3) return x.toExponential(1).replace("e+", "e");
  const text = String(Number(x.toPrecision(2)));
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** `# Param: 80 (320 B)`; a Total when there is more than one kind; `#` alone for a single leaf's own count. */
export function totalsText(totals: Totals, leaf = false): string {
  if (totals.size === 0) return "";
  if (leaf) {
    const [t] = totals.values();
    return `# ${formatCount(t!.count)} (${formatBytes(t!.bytes)})`;
  }
  const parts = [...totals].map(([kind, t]) => `${kind}: ${formatCount(t.count)} (${formatBytes(t.bytes)})`);
  if (totals.size > 1) {
    const all = grandTotal(totals);
    parts.push(`Total: ${formatCount(all.count)} (${formatBytes(all.bytes)})`);
  }
  return `# ${parts.join(", ")}`;
}

export function shapeText(info: ArrayInfo): string {
  return `${info.dtype}[${info.shape.join(",")}]`;
}

export function statsText(stats: LeafStats): string {
  if (stats.kind === "skipped") return `(no stats: ${stats.reason})`;
  const parts: string[] = [];
  if (stats.mean !== null) {
    parts.push(`≈${formatStat(stats.mean)}`, `±${formatStat(stats.std!)}`, `[≥${formatStat(stats.min!)}, ≤${formatStat(stats.max!)}]`);
  }
  parts.push(`nonzero:${formatCount(stats.nonzero)}`);
  if (stats.nan > 0) parts.push(`nan:${formatCount(stats.nan)}`);
  if (stats.inf > 0) parts.push(`inf:${formatCount(stats.inf)}`);
  if (stats.read < stats.size) parts.push(`(sampled ${formatCount(stats.read)} of ${formatCount(stats.size)})`);
  return parts.join(" ");
}

/** `layers.0.kernel`, as nnx writes paths in messages; `<root>` for the root. */
export function pathText(path: TreePath): string {
  return path.length === 0 ? "<root>" : path.map(String).join(".");
}

export function keyText(key: TreeKey | null): string {
  return key === null ? "" : String(key);
}

/** The line standing for siblings past the row budget: how many, which keys, of which types, their counts. */
export function restText(rest: readonly TreeNode[]): string {
  const types = new Map<string, number>();
  const totals: Totals = new Map();
  for (const node of rest) {
    const name = node.kind === "node" ? node.typeName : node.kind === "variable" ? node.variableType : node.kind;
    types.set(name, (types.get(name) ?? 0) + 1);
    if ("totals" in node) addTotals(totals, node.totals);
  }
  const what = [...types].map(([name, n]) => `${name} ×${formatCount(n)}`).join(", ");
  const counts = totalsText(totals);
  return `… ${formatCount(rest.length)} more (${keyText(rest[0]!.key)} … ${keyText(rest[rest.length - 1]!.key)}: ${what}; not expanded, over the display budget)${counts ? `  ${counts}` : ""}`;
}
