/**
 * The checkpoint history as a table: one row per step with its time, size,
 * save duration, every metric, whether it is kept, deleted or best, and which
 * retention rule keeps it. `text/html` for notebooks (plain table markup
 * with inline styles only, so it reads the same when a notebook is untrusted
 * and its HTML sanitised; every name escaped), `text/plain` as an aligned
 * text table for consoles and logs, its JSON data (CHECKPOINT_HISTORY_MIME) as the data itself.
 */
import { formatBytes } from "../../ocp/inspect.js";
import { escapeXml } from "../chart/svg-panels.js";
import { KEEP_REASON_LABELS, type CheckpointHistory, type HistoryRow } from "./history.js";
import { shownPath } from "../shown-path.js";

/** `2026-12-04 00:18:53` (UTC). */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Three significant digits down to milliseconds: small saves take milliseconds, large ones minutes. */
function formatSeconds(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(1) : seconds >= 1 ? seconds.toFixed(2) : seconds.toFixed(3);
}

function formatMetric(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "number") return String(Number(value.toPrecision(6)));
  return JSON.stringify(value);
}

function statusText(row: HistoryRow): string {
  return row.best ? `${row.status}, best` : row.status;
}

interface Column {
  header: string;
  cell: (row: HistoryRow) => string;
  numeric: boolean;
}

function columns(history: CheckpointHistory): Column[] {
  return [
    { header: "step", cell: (r) => String(r.step), numeric: true },
    { header: "saved (UTC)", cell: (r) => formatTime(r.time), numeric: false },
    { header: "size", cell: (r) => (r.bytes === undefined ? "" : formatBytes(r.bytes)), numeric: true },
    { header: "save (s)", cell: (r) => (r.saveSeconds === undefined ? "" : formatSeconds(r.saveSeconds)), numeric: true },
    ...history.metricNames.map((name): Column => ({ header: name, cell: (r) => formatMetric(r.metrics[name]), numeric: history.numericMetrics.includes(name) })),
    { header: "status", cell: statusText, numeric: false },
    { header: "kept by", cell: (r) => r.keptBy.map((k) => KEEP_REASON_LABELS[k]).join(", "), numeric: false },
  ];
}

function summaryLine(history: CheckpointHistory): string {
  const n = history.rows.length;
  const kept = history.rows.filter((r) => r.status === "kept").length;
  const saving = history.rows.filter((r) => r.status === "saving").length;
  const best = history.bestStep === undefined ? "" : `, best step ${history.bestStep}`;
  return `Checkpoints in ${shownPath(history.directory)}: ${n} step${n === 1 ? "" : "s"}, ${kept} kept${saving > 0 ? `, ${saving} saving` : ""}${best}`;
}

export function historyText(history: CheckpointHistory): string {
  if (history.rows.length === 0) return `No checkpoint steps in ${shownPath(history.directory)}`;
  const cols = columns(history);
  const cells = history.rows.map((row) => cols.map((c) => c.cell(row)));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values.map((v, i) => (cols[i]!.numeric ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [summaryLine(history), line(cols.map((c) => c.header)), ...cells.map(line)].join("\n");
}

const CELL = "padding:2px 8px;border-bottom:1px solid #e0e0e0";

function rowStyle(row: HistoryRow): string {
  if (row.best) return "font-weight:bold;background:#fff4e5";
  if (row.status === "deleted") return "color:#999999;text-decoration:line-through";
  if (row.status === "saving") return "color:#666666;font-style:italic";
  return "";
}

export function historyHtml(history: CheckpointHistory): string {
  const caption = `<caption style="text-align:left;padding:4px 0;font-weight:bold">${escapeXml(summaryLine(history))}</caption>`;
  if (history.rows.length === 0) return `<div>${escapeXml(`No checkpoint steps in ${shownPath(history.directory)}`)}</div>`;
  const cols = columns(history);
  const align = (c: Column): string => `text-align:${c.numeric ? "right" : "left"}`;
  const head = cols.map((c) => `<th style="${CELL};${align(c)}">${escapeXml(c.header)}</th>`).join("");
  const body = history.rows
    .map((row) => {
      const cells = cols.map((c) => `<td style="${CELL};${align(c)}">${escapeXml(c.cell(row))}</td>`).join("");
      return `<tr style="${rowStyle(row)}">${cells}</tr>`;
    })
    .join("\n");
  return `<table style="border-collapse:collapse;font-size:12px">\n${caption}\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** The history as data: times as ISO strings, every field of every row. */
export function historyJson(history: CheckpointHistory): Record<string, unknown> {
  return {
    directory: shownPath(history.directory),
    bestStep: history.bestStep ?? null,
    metricNames: history.metricNames,
    steps: history.rows.map((r) => ({
      step: r.step,
      time: new Date(r.time).toISOString(),
      bytes: r.bytes ?? null,
      saveSeconds: r.saveSeconds ?? null,
      metrics: r.metrics,
      status: r.status,
      best: r.best,
      keptBy: r.keptBy,
    })),
  };
}
