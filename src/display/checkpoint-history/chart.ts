/**
 * The checkpoint history as a chart: one panel per numeric metric and one for
 * the size, over steps, the best step marked, deleted steps hollow.
 *
 * One bundle serves every viewer, each picking the richest type it can draw:
 * - `application/vnd.plotly.v1+json`: an interactive plotly figure where the
 *   `jupyterlab-plotly` renderer is installed (its rank, 2, comes before
 *   Vega's 57 in JupyterLab);
 * - `application/vnd.vegalite.v5+json`: drawn by the Vega renderer that stock
 *   JupyterLab 4 and Notebook 7 ship (a safe renderer: it also draws when the
 *   notebook is reopened untrusted);
 * - `image/svg+xml`, drawn by our own code (../chart/svg-panels.ts): what
 *   nbconvert's HTML export shows (it knows neither JSON type and puts SVG
 *   before PNG), and GitHub's notebook view;
 * - `text/plain`: one line for consoles.
 * No `text/html`: JupyterLab ranks HTML (50) before Vega (57), so it would
 * hide the chart. No `image/png`: it would need a rasteriser and a font (a
 * dependency of megabytes) and add tens of KB per chart, while every viewer
 * named above draws one of the others.
 *
 * The specs are written by hand as plain JSON; names from checkpoints only
 * ever appear as data or as escaped text, never inside an expression.
 */
import { LINE_COLOURS, MARK_COLOUR, panelChartSvg, shortNumber, type Panel } from "../chart/svg-panels.js";
import type { CheckpointHistory, HistoryRow } from "./history.js";
import { shownPath } from "../shown-path.js";

const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const PANEL_WIDTH = 560;
const PANEL_HEIGHT = 110;

interface Series {
  name: string;
  rows: { row: HistoryRow; value: number }[];
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Sizes in one unit that suits the largest, so the axis reads `12.5` not `13107200`. */
function sizeSeries(rows: readonly HistoryRow[]): Series | undefined {
  const sized = rows.filter((r) => r.bytes !== undefined);
  if (sized.length === 0) return undefined;
  const largest = Math.max(...sized.map((r) => r.bytes!));
  const power = Math.min(UNITS.length - 1, largest > 0 ? Math.floor(Math.log(largest) / Math.log(1024)) : 0);
  return { name: `size (${UNITS[power]})`, rows: sized.map((row) => ({ row, value: row.bytes! / 1024 ** power })) };
}

function chartSeries(history: CheckpointHistory): Series[] {
  const metrics = history.numericMetrics.map((name): Series => ({
    name,
    rows: history.rows.filter((r) => typeof r.metrics[name] === "number").map((row) => ({ row, value: row.metrics[name] as number })),
  }));
  const size = sizeSeries(history.rows);
  return size ? [...metrics, size] : metrics;
}

/** The same colour for a series in every chart form (the SVG takes them in panel order too). */
const colourOf = (index: number): string => LINE_COLOURS[index % LINE_COLOURS.length]!;

/** Plotly reads `<b>`, `<br>` and entities in every text: a name shows literally once its markup characters are entities. */
function plotlyText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}

/**
 * Steps are whole numbers, but both libraries put ticks at 4.5 on a short
 * range (Vega ignores tickMinStep there, and a "d" format then prints 5
 * twice): up to this many steps the ticks are the steps themselves.
 */
const MAX_STEP_TICKS = 12;

function stepTicks(series: readonly Series[]): number[] | undefined {
  const steps = [...new Set(series.flatMap((s) => s.rows.map((r) => r.row.step)))].sort((a, b) => a - b);
  return steps.length <= MAX_STEP_TICKS ? steps : undefined;
}

function plotlyFigure(series: readonly Series[], bestStep: number | undefined): Record<string, unknown> {
  const n = series.length;
  const gap = n > 1 ? 0.08 : 0;
  const panelSpan = (1 - gap * (n - 1)) / n;
  const data: Record<string, unknown>[] = [];
  const ticks = stepTicks(series);
  const layout: Record<string, unknown> = {
    height: 80 + n * 170,
    margin: { l: 70, r: 20, t: 50, b: 50 },
    showlegend: false,
    hovermode: "closest",
    xaxis: { title: { text: "step" }, anchor: n > 0 ? `y${n === 1 ? "" : n}` : "y", domain: [0, 1], ...(ticks ? { tickvals: ticks } : { tickformat: "d" }) },
  };
  series.forEach((s, i) => {
    const axis = i === 0 ? "y" : `y${i + 1}`;
    const top = 1 - i * (panelSpan + gap);
    layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = { title: { text: plotlyText(s.name) }, domain: [Math.max(0, top - panelSpan), Math.min(1, top)], anchor: "x" };
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: plotlyText(s.name),
      x: s.rows.map((r) => r.row.step),
      y: s.rows.map((r) => r.value),
      xaxis: "x",
      yaxis: axis,
      line: { color: colourOf(i) },
      marker: { size: 6, color: colourOf(i), symbol: s.rows.map((r) => (r.row.status === "deleted" ? "circle-open" : "circle")) },
      customdata: s.rows.map((r) => r.row.status),
      hovertemplate: "step %{x}<br>%{fullData.name}: %{y}<br>%{customdata}<extra></extra>",
    });
    const best = s.rows.find((r) => r.row.step === bestStep);
    if (best) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `best step ${bestStep}`,
        x: [best.row.step],
        y: [best.value],
        xaxis: "x",
        yaxis: axis,
        marker: { size: 14, symbol: "star", color: MARK_COLOUR },
        hovertemplate: `best step %{x}<br>%{y}<extra></extra>`,
      });
    }
  });
  if (bestStep !== undefined) {
    layout.shapes = [{ type: "line", xref: "x", yref: "paper", x0: bestStep, x1: bestStep, y0: 0, y1: 1, line: { color: MARK_COLOUR, width: 1, dash: "dot" } }];
    layout.annotations = [{ xref: "x", yref: "paper", x: bestStep, y: 1, yanchor: "bottom", showarrow: false, text: `best: step ${bestStep}`, font: { color: MARK_COLOUR } }];
  }
  return { data, layout, config: { displaylogo: false, responsive: true } };
}

function vegaLiteSpec(series: readonly Series[], bestStep: number | undefined): Record<string, unknown> {
  const values = series.flatMap((s) =>
    s.rows.map((r) => ({ step: r.row.step, series: s.name, value: r.value, status: r.row.status, ...(r.row.step === bestStep ? { best: true } : {}) })),
  );
  const ticks = stepTicks(series);
  const x = { field: "step", type: "quantitative", title: "step", axis: ticks ? { values: ticks, format: "d" } : { tickMinStep: 1, format: "d" } };
  const y = { field: "value", type: "quantitative", title: null, scale: { zero: false } };
  const tooltip = [
    { field: "step", type: "quantitative" },
    { field: "series", type: "nominal", title: "series" },
    { field: "value", type: "quantitative", format: ".4~g" },
    { field: "status", type: "nominal" },
  ];
  const order = series.map((s) => s.name);
  const colour = { field: "series", type: "nominal", sort: order, legend: null, scale: { domain: order, range: order.map((_, i) => colourOf(i)) } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: "Checkpoint history: metrics and size over steps",
    data: { values },
    facet: { row: { field: "series", type: "nominal", sort: order, title: null, header: { labelAngle: 0, labelOrient: "top", labelAnchor: "start", labelFontWeight: "bold" } } },
    spec: {
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      // A layer whose filter leaves no rows makes Vega log "Infinite extent" warnings in the browser console: only the layers with data.
      layer: [
        { mark: { type: "line" }, encoding: { x, y, color: colour } },
        { transform: [{ filter: "datum.status !== 'deleted'" }], mark: { type: "point", filled: true, opacity: 1, size: 30 }, encoding: { x, y, color: colour, tooltip } },
        ...(values.some((v) => v.status === "deleted")
          ? [{ transform: [{ filter: "datum.status === 'deleted'" }], mark: { type: "point", filled: false, fill: "#ffffff", opacity: 1, size: 30 }, encoding: { x, y, color: colour, tooltip } }]
          : []),
        ...(values.some((v) => v.best)
          ? [
              { transform: [{ filter: "datum.best === true" }], mark: { type: "rule", color: MARK_COLOUR, strokeDash: [4, 3] }, encoding: { x } },
              { transform: [{ filter: "datum.best === true" }], mark: { type: "point", shape: "diamond", filled: true, size: 140, color: MARK_COLOUR }, encoding: { x, y, tooltip } },
            ]
          : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
}

function chartText(history: CheckpointHistory, series: readonly Series[]): string {
  if (series.length === 0) return `No metrics or sizes to chart for ${shownPath(history.directory)}`;
  const steps = history.rows.map((r) => r.step);
  const best = history.bestStep === undefined ? "" : `; best step ${history.bestStep}`;
  return `Chart of ${series.map((s) => s.name).join(", ")} over steps ${Math.min(...steps)}..${Math.max(...steps)}${best}`;
}

export function historyChart(history: CheckpointHistory): Record<string, unknown> {
  const series = chartSeries(history);
  const text = chartText(history, series);
  if (series.length === 0) return { "text/plain": text };
  const panels: Panel[] = series.map((s) => ({ title: s.name, points: s.rows.map((r) => ({ x: r.row.step, y: r.value, hollow: r.row.status === "deleted" })), formatY: shortNumber }));
  const markLabel = history.bestStep === undefined ? undefined : `best: step ${history.bestStep}`;
  return {
    "application/vnd.plotly.v1+json": plotlyFigure(series, history.bestStep),
    "application/vnd.vegalite.v5+json": vegaLiteSpec(series, history.bestStep),
    "image/svg+xml": panelChartSvg(panels, { xTitle: "step", markX: history.bestStep, markLabel, width: PANEL_WIDTH + 80, panelHeight: PANEL_HEIGHT }),
    "text/plain": text,
  };
}
