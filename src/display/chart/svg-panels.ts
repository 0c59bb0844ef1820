/**
 * A static chart drawn as SVG text by our own code: panels stacked one above
 * the other that share one x axis, each a line through its points, hollow
 * markers for points marked as such, and one x value marked across every
 * panel (the best step).
 *
 * It is the chart a viewer shows when it runs no script and knows no chart
 * MIME type (nbconvert's HTML export, GitHub), so it is written to survive
 * sanitisers and `<img>` embedding: presentation attributes only (no
 * `<style>`, no classes, no `<defs>`/`<use>`, no links), an explicit fill on
 * every shape, fixed width, height and viewBox, every text escaped.
 */

export interface PanelPoint {
  x: number;
  y: number;
  /** Drawn as a ring instead of a dot (a deleted step). */
  hollow?: boolean;
}

export interface Panel {
  title: string;
  points: PanelPoint[];
  /** How the y values are written on the axis. */
  formatY?: (y: number) => string;
}

export interface PanelChartOptions {
  /** An x value marked across every panel, labelled `markLabel`. */
  markX?: number;
  markLabel?: string;
  xTitle: string;
  width?: number;
  panelHeight?: number;
}

const MARGIN = { left: 64, right: 16, top: 8, bottom: 36 };
const PANEL_GAP = 30;
const TITLE_HEIGHT = 16;
/** Series colours, one per panel, none of them the marker's red. */
export const LINE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"];
export const MARK_COLOUR = "#d62728";
const FONT = `font-family="sans-serif"`;

/** `<`, `>`, `&` and both quotes as entities: safe in SVG or HTML text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Up to about `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Numbers short enough for an axis: 3 significant digits, exponent form outside 1e-3..1e6. */
export function shortNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

/**
 * Axis labels for ticks: `format`'s, unless that makes two ticks read the
 * same (4.695 and 4.7 both as "4.7"); then as many decimals as the tick step needs.
 */
export function tickLabels(ticks: readonly number[], format: (y: number) => string): string[] {
  const labels = ticks.map(format);
  if (ticks.length < 2 || new Set(labels).size === labels.length) return labels;
  const decimals = Math.max(0, -Math.floor(Math.log10(ticks[1]! - ticks[0]!)));
  return ticks.map((t) => t.toFixed(decimals));
}

const fixed = (n: number): string => String(Math.round(n * 10) / 10);

export function panelChartSvg(panels: readonly Panel[], options: PanelChartOptions): string {
  const width = options.width ?? 640;
  const panelHeight = options.panelHeight ?? 120;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const height = MARGIN.top + panels.length * (TITLE_HEIGHT + panelHeight) + (panels.length - 1) * PANEL_GAP + MARGIN.bottom;
  const xs = panels.flatMap((p) => p.points.map((q) => q.x)).concat(options.markX ?? []);
  const [xMin, xMax] = xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const xPad = xMax > xMin ? 0.03 * (xMax - xMin) : 1;
  const scaleX = (x: number): number => MARGIN.left + ((x - (xMin - xPad)) / (xMax - xMin + 2 * xPad)) * plotWidth;
  const xTicks = niceTicks(xMin, xMax, 8).filter((t) => Number.isInteger(t));

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  panels.forEach((panel, index) => {
    const top = MARGIN.top + index * (TITLE_HEIGHT + panelHeight + PANEL_GAP) + TITLE_HEIGHT;
    const bottom = top + panelHeight;
    const ys = panel.points.map((p) => p.y);
    const [yLo, yHi] = ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
    const yPad = yHi > yLo ? 0.08 * (yHi - yLo) : Math.abs(yLo) * 0.1 || 1;
    const scaleY = (y: number): number => bottom - ((y - (yLo - yPad)) / (yHi - yLo + 2 * yPad)) * panelHeight;
    const format = panel.formatY ?? shortNumber;
    const colour = LINE_COLOURS[index % LINE_COLOURS.length]!;

    parts.push(`<text x="${MARGIN.left}" y="${fixed(top - 5)}" ${FONT} font-size="12" font-weight="bold" fill="#333333">${escapeXml(panel.title)}</text>`);
    parts.push(`<rect x="${MARGIN.left}" y="${fixed(top)}" width="${plotWidth}" height="${panelHeight}" fill="#fafafa" stroke="#cccccc" stroke-width="1"/>`);
    const yTicks = niceTicks(yLo, yHi, 4);
    tickLabels(yTicks, format).forEach((label, i) => {
      const y = fixed(scaleY(yTicks[i]!));
      parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotWidth}" y2="${y}" stroke="#e4e4e4" stroke-width="1"/>`);
      parts.push(`<text x="${MARGIN.left - 6}" y="${y}" dy="4" text-anchor="end" ${FONT} font-size="10" fill="#555555">${escapeXml(label)}</text>`);
    });
    for (const t of xTicks) {
      const x = fixed(scaleX(t));
      parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#888888" stroke-width="1"/>`);
      if (index === panels.length - 1) parts.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle" ${FONT} font-size="10" fill="#555555">${t}</text>`);
    }
    if (options.markX !== undefined) {
      const x = fixed(scaleX(options.markX));
      parts.push(`<line x1="${x}" y1="${fixed(top)}" x2="${x}" y2="${bottom}" stroke="${MARK_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>`);
    }
    if (panel.points.length > 1) {
      const path = panel.points.map((p) => `${fixed(scaleX(p.x))},${fixed(scaleY(p.y))}`).join(" ");
      parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    }
    // Above a few hundred points the dots would cover the line; the line alone then shows the trend.
    // The group's attributes style its dots (inherited presentation attributes, no CSS).
    if (panel.points.length <= 300) {
      parts.push(`<g fill="${colour}" stroke="${colour}" stroke-width="1">`);
      for (const p of panel.points) {
        parts.push(`<circle cx="${fixed(scaleX(p.x))}" cy="${fixed(scaleY(p.y))}" r="2.5"${p.hollow ? ` fill="#ffffff"` : ""}/>`);
      }
      parts.push(`</g>`);
    }
    const marked = panel.points.find((p) => p.x === options.markX);
    if (marked) {
      parts.push(`<circle cx="${fixed(scaleX(marked.x))}" cy="${fixed(scaleY(marked.y))}" r="5" fill="${MARK_COLOUR}" stroke="#ffffff" stroke-width="1.5"/>`);
    }
  });
  const axisY = height - MARGIN.bottom + 30;
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${axisY}" text-anchor="middle" ${FONT} font-size="11" fill="#333333">${escapeXml(options.xTitle)}</text>`);
  if (options.markX !== undefined && options.markLabel !== undefined) {
    parts.push(`<text x="${MARGIN.left + plotWidth}" y="${axisY}" text-anchor="end" ${FONT} font-size="11" fill="${MARK_COLOUR}">${escapeXml(options.markLabel)}</text>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
