/**
 * The state tree as `text/plain`: one line per row, indented with
 * box-drawing characters (`├── `, `└── `, `│   `), for `jupyter console`,
 * logs and `tsnnx run`. Same words and the same row budget as the HTML.
 */
import { pathText, restText, shapeText, statsText, totalsText } from "./format.js";
import type { ArrayInfo, TreeNode } from "./model.js";
import type { LeafStats } from "./stats.js";

export function renderText(root: TreeNode, stats: Map<TreeNode, LeafStats>, shown: Set<TreeNode>): string {
  const lines: string[] = [];
  const arrayText = (node: TreeNode, info: ArrayInfo | null): string => {
    if (!info) return "";
    const state = info.state === "concrete" ? ` on ${info.device}` : ` ${info.state}`;
    const s = stats.get(node);
    return ` ${shapeText(info)}${state}${s ? ` ${statsText(s)}` : ""}`;
  };
  const head = (node: TreeNode): string => {
    const key = node.key === null ? "" : `${String(node.key)}: `;
    switch (node.kind) {
      case "node": {
        const counts = totalsText(node.totals);
        return `${key}${node.typeName}${counts ? `  ${counts}` : ""}`;
      }
      case "variable": {
        const counts = totalsText(node.totals, true);
        return `${key}${node.variableType}${arrayText(node, node.array)}${node.other === null ? "" : ` ${node.other}`}${counts ? `  ${counts}` : ""}`;
      }
      case "array":
        return `${key}Array${arrayText(node, node.array)}  ${totalsText(node.totals, true)}`;
      case "slot":
        return `${key}${node.variableType ?? "Array"} (value in the State)`;
      case "shared":
        return `${key}${node.typeName ? `${node.typeName} ` : ""}(shared: same as ${pathText(node.firstPath)})`;
      case "static":
        return `${key}${node.text}`;
    }
  };
  const walk = (node: TreeNode, prefix: string, childPrefix: string): void => {
    lines.push(prefix + head(node));
    if (node.kind !== "node") return;
    const statics = node.children.filter((c) => c.kind === "static");
    const data = node.children.filter((c) => c.kind !== "static");
    const rest = data.filter((c) => !shown.has(c));
    const items: (TreeNode | string)[] = data.filter((c) => shown.has(c));
    if (rest.length > 0) items.push(restText(rest));
    if (statics.length > 0) items.push(statics.map((s) => `${String(s.key)}=${s.kind === "static" ? s.text : ""}`).join(", "));
    items.forEach((item, j) => {
      const last = j === items.length - 1;
      const branch = childPrefix + (last ? "└── " : "├── ");
      const next = childPrefix + (last ? "    " : "│   ");
      if (typeof item === "string") lines.push(branch + item);
      else walk(item, branch, next);
    });
  };
  walk(root, "", "");
  return lines.join("\n");
}
