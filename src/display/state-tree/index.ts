/**
 * `stateTree(value, options?)`: the MIME bundle (`text/html`, `text/plain`,
 * and the summary as data under STATE_TREE_MIME) of a Module, State (abstract ones too), Variable,
 * Optimizer, GraphDef, jax-js Array, or a plain object / array of those, as
 * Treescope shows NNX models in Python. The value is walked once
 * (model.ts), the leaves shown are read once (stats.ts), then each renderer
 * writes its MIME type from the same tree. Nothing is consumed.
 */
import type { TreeNode } from "./model.js";
import { buildTree, rowsWithin } from "./model.js";
import { renderHtml } from "./html.js";
import { renderJson, type StateTreeSummary } from "./json.js";
import { leafStats, type LeafStats, type StatsOptions } from "./stats.js";
import { renderText } from "./text.js";
import type * as jax from "@jax-js/jax";
import { STATE_TREE_MIME } from "../data-mime.js";

export interface StateTreeOptions extends StatsOptions {
  /** Rows shown in full (HTML and text) before later siblings are summarised on one line (default 2,500). */
  maxNodes?: number;
  /** Array leaves that get a mini-chart, the first ones shown (default: all of up to 32 leaves, else 8; a heatmap is up to 1 KiB). */
  maxCharts?: number;
  /** Levels open at first; default 3 for trees of up to 64 leaves, else 1. */
  openDepth?: number;
  /** Compute per-leaf statistics (default true). */
  stats?: boolean;
}

export type StateTreeBundle = {
  "text/html": string;
  "text/plain": string;
  [STATE_TREE_MIME]: StateTreeSummary;
};

export type { StateTreeSummary, LeafSummary } from "./json.js";
export type { LeafStats, StatsOptions } from "./stats.js";

export async function stateTree(value: unknown, options: StateTreeOptions = {}): Promise<StateTreeBundle> {
  const maxNodes = options.maxNodes ?? 2500;
  const root = buildTree(value);
  const shown = rowsWithin(root, maxNodes);
  const arrays = options.stats === false ? [] : shownArrays(shown);
  const computed = await leafStats(arrays.map(([, array]) => array), options);
  const stats = new Map<TreeNode, LeafStats>(arrays.map(([node], i) => [node, computed[i]!]));
  const leafCount = root.kind === "node" ? root.leafCount : 1;
  return {
    "text/html": renderHtml(root, stats, { shown, maxCharts: options.maxCharts ?? (leafCount <= 32 ? 32 : 8), openDepth: options.openDepth ?? (leafCount <= 64 ? 3 : 1) }),
    "text/plain": renderText(root, stats, shown),
    [STATE_TREE_MIME]: renderJson(root, stats, shown),
  };
}

/** The concrete arrays of the rows shown, in preorder. */
function shownArrays(shown: Set<TreeNode>): [TreeNode, jax.Array][] {
  const out: [TreeNode, jax.Array][] = [];
  for (const node of shown) {
    const info = node.kind === "variable" || node.kind === "array" ? node.array : null;
    if (info?.state === "concrete") out.push([node, info.array]);
  }
  return out;
}
