/**
 * The state tree as `application/json`: the summary as data for tools and
 * tests (the root's type and totals per kind, then one record per leaf with
 * its path, kind, shape, dtype, device, count, bytes and stats, and where
 * shared nodes point). Leaves past the row budget are counted, not listed,
 * so the saved notebook stays small; their totals are in the root's.
 */
import type { TreeKey } from "../../runtime/pytree.js";
import { pathText } from "./format.js";
import { grandTotal, RAW_ARRAY_KIND, type KindTotal, type TreeNode } from "./model.js";
import type { LeafStats } from "./stats.js";

export interface LeafSummary {
  path: TreeKey[];
  pathText: string;
  kind: string;
  /** concrete / abstract (a ShapeDtypeStruct) / disposed; absent for a Variable holding no array. */
  state?: string;
  shape?: number[];
  dtype?: string;
  device?: string;
  count?: number;
  bytes?: number;
  value?: string;
  stats?: { mean: number | null; std: number | null; min: number | null; max: number | null; nonzero: number; nan: number; inf: number; read: number; size: number; sampled: boolean } | { skipped: string };
}

export interface StateTreeSummary {
  type: string;
  totals: Record<string, KindTotal>;
  total: KindTotal;
  leaves: LeafSummary[];
  leavesOmitted: number;
  shared: { path: TreeKey[]; sameAs: TreeKey[] }[];
}

export function renderJson(root: TreeNode, stats: Map<TreeNode, LeafStats>, shown: Set<TreeNode>): StateTreeSummary {
  const leaves: LeafSummary[] = [];
  const shared: StateTreeSummary["shared"] = [];
  let omitted = 0;
  const walk = (node: TreeNode): void => {
    if (node.kind === "node") return node.children.forEach(walk);
    if (node.kind === "shared") return void shared.push({ path: [...node.path], sameAs: [...node.firstPath] });
    if (node.kind !== "variable" && node.kind !== "array") return;
    if (!shown.has(node)) return void omitted++;
    const kind = node.kind === "variable" ? node.variableType : RAW_ARRAY_KIND;
    const leaf: LeafSummary = { path: [...node.path], pathText: pathText(node.path), kind };
    const info = node.array;
    if (info) {
      leaf.state = info.state;
      leaf.shape = [...info.shape];
      leaf.dtype = info.dtype;
      if (info.state === "concrete") leaf.device = info.device;
      const t = node.totals.get(kind)!;
      leaf.count = t.count;
      leaf.bytes = t.bytes;
    } else if (node.kind === "variable" && node.other !== null) leaf.value = node.other;
    const s = stats.get(node);
    if (s?.kind === "computed") {
      const { mean, std, min, max, nonzero, nan, inf, read, size } = s;
      leaf.stats = { mean, std, min, max, nonzero, nan, inf, read, size, sampled: read < size };
    } else if (s) leaf.stats = { skipped: s.reason };
    leaves.push(leaf);
  };
  walk(root);
  const totals = "totals" in root ? root.totals : new Map<string, KindTotal>();
  return {
    type: root.kind === "node" ? root.typeName : root.kind === "variable" ? root.variableType : root.kind,
    totals: Object.fromEntries(totals),
    total: grandTotal(totals),
    leaves,
    leavesOmitted: omitted,
    shared,
  };
}
