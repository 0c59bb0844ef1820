/**
 * The difference between two states (two checkpoint steps, or a live model
 * and a step), leaf by leaf: changed or not, the largest absolute difference,
 * and the relative change of the norm, ‖b − a‖ / ‖a‖. Pure: the caller reads
 * the arrays' values; this computes and renders them (`text/plain` for
 * consoles and logs, `text/html` with every name escaped).
 */

/** One leaf's values, read from its array (any numeric dtype, as numbers). */
export interface LeafValues {
  path: string;
  shape: readonly number[];
  dtype: string;
  values: ArrayLike<number>;
}

export type LeafDiff =
  | { path: string; status: "changed" | "unchanged"; shape: readonly number[]; dtype: string; maxAbsDiff: number; relativeChange: number }
  | { path: string; status: "only-a" | "only-b"; shape: readonly number[]; dtype: string }
  | { path: string; status: "shape-differs"; shapeA: readonly number[]; shapeB: readonly number[] };

/** Leaves in A's order, then those only in B. */
export function diffLeaves(a: readonly LeafValues[], b: readonly LeafValues[]): LeafDiff[] {
  const inB = new Map(b.map((leaf) => [leaf.path, leaf]));
  const inA = new Set(a.map((leaf) => leaf.path));
  const out: LeafDiff[] = [];
  for (const left of a) {
    const right = inB.get(left.path);
    if (!right) {
      out.push({ path: left.path, status: "only-a", shape: left.shape, dtype: left.dtype });
      continue;
    }
    if (left.shape.length !== right.shape.length || left.shape.some((d, i) => d !== right.shape[i])) {
      out.push({ path: left.path, status: "shape-differs", shapeA: left.shape, shapeB: right.shape });
      continue;
    }
    let maxAbsDiff = 0;
    let diffSquares = 0;
    let normSquares = 0;
    let changed = false;
    for (let i = 0; i < left.values.length; i++) {
      const x = left.values[i]!;
      const y = right.values[i]!;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x !== y) changed = true;
      const d = Math.abs(y - x);
      // A NaN on one side only is a change no number measures: it stays NaN.
      maxAbsDiff = Number.isNaN(d) || Number.isNaN(maxAbsDiff) ? NaN : Math.max(maxAbsDiff, d);
      diffSquares += d * d;
      normSquares += x * x;
    }
    const diffNorm = Math.sqrt(diffSquares);
    const relativeChange = normSquares > 0 ? diffNorm / Math.sqrt(normSquares) : diffNorm > 0 ? Infinity : 0;
    out.push({ path: left.path, status: changed ? "changed" : "unchanged", shape: left.shape, dtype: left.dtype, maxAbsDiff, relativeChange });
  }
  for (const right of b) {
    if (!inA.has(right.path)) out.push({ path: right.path, status: "only-b", shape: right.shape, dtype: right.dtype });
  }
  return out;
}

/** `2 of 4 leaves changed (max abs diff 0.5); 1 only in A` with the sides named. */
export function diffSummary(diffs: readonly LeafDiff[], labels: { a: string; b: string }): string {
  const count = (status: LeafDiff["status"]) => diffs.filter((d) => d.status === status).length;
  const compared = diffs.filter((d) => d.status === "changed" || d.status === "unchanged");
  const maxAbs = compared.reduce((m, d) => (d.status === "changed" ? Math.max(m, d.maxAbsDiff) : m), 0);
  const parts = [`${count("changed")} of ${compared.length} leaves changed${count("changed") > 0 ? ` (max abs diff ${formatNumber(maxAbs)})` : ""}`];
  if (count("shape-differs") > 0) parts.push(`${count("shape-differs")} with different shapes`);
  if (count("only-a") > 0) parts.push(`${count("only-a")} only in ${labels.a}`);
  if (count("only-b") > 0) parts.push(`${count("only-b")} only in ${labels.b}`);
  return `${labels.a} → ${labels.b}: ${parts.join("; ")}`;
}

export function formatNumber(value: number): string {
  if (value === 0) return "0";
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 1e4 || abs < 1e-3 ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

function rowCells(d: LeafDiff, labels: { a: string; b: string }): [string, string, string, string, string] {
  switch (d.status) {
    case "changed":
    case "unchanged":
      return [d.path, d.status, `${shapeText(d.shape)} ${d.dtype}`, formatNumber(d.maxAbsDiff), formatNumber(d.relativeChange)];
    case "only-a":
      return [d.path, `only in ${labels.a}`, `${shapeText(d.shape)} ${d.dtype}`, "", ""];
    case "only-b":
      return [d.path, `only in ${labels.b}`, `${shapeText(d.shape)} ${d.dtype}`, "", ""];
    case "shape-differs":
      return [d.path, "shape differs", `${shapeText(d.shapeA)} vs ${shapeText(d.shapeB)}`, "", ""];
  }
}

const HEADER: [string, string, string, string, string] = ["path", "status", "shape", "max |b-a|", "‖b-a‖/‖a‖"];

export function diffBundle(diffs: readonly LeafDiff[], labels: { a: string; b: string }): { "text/plain": string; "text/html": string } {
  const summary = diffSummary(diffs, labels);
  const rows = diffs.map((d) => rowCells(d, labels));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const plain = [summary, line(HEADER), ...rows.map(line)].join("\n");
  const html =
    `<div class="tsnnx-diff"><p>${escapeHtml(summary)}</p><table>` +
    `<thead><tr>${HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>` +
    diffs
      .map((d, i) => {
        const style = d.status === "unchanged" ? "" : ' style="font-weight:bold"';
        return `<tr${style}>${rows[i]!.map((c, j) => `<td${j >= 3 ? ' style="text-align:right"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`;
      })
      .join("") +
    `</tbody></table></div>`;
  return { "text/plain": plain, "text/html": html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
