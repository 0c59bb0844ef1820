/**
 * The small picture next to an array leaf: a heatmap for a 2-D array read
 * whole (rows and columns block-averaged down to at most 16 x 32 cells,
 * blue below zero, red above, as Treescope colours arrays) and a histogram
 * of the values otherwise (none for a constant array).
 *
 * It is an `<img>` whose source is an SVG data URI, not inline `<svg>`:
 * JupyterLab's sanitiser removes `<svg>` from untrusted outputs but keeps an
 * image's `src`, so the picture survives a reopened notebook. The SVG is a
 * handful of paths (one per colour level), a few hundred bytes.
 */

const HIST_BINS = 16;
const HIST_HEIGHT = 10;
const MAX_ROWS = 16;
const MAX_COLS = 32;
const LEVELS = 4;

/** `<img>` HTML for the values of an array of `shape` (`whole`: every element was read, in order). */
export function miniChart(values: Float32Array, shape: readonly number[], whole: boolean): string | null {
  if (values.length === 0) return null;
  if (whole && shape.length === 2 && shape[0]! > 1 && shape[1]! > 1) return heatmap(values, shape[0]!, shape[1]!);
  return histogram(values);
}

function image(svg: string, width: number, height: number, title: string): string {
  const uri = "data:image/svg+xml," + svg.replace(/</g, "%3C").replace(/>/g, "%3E").replace(/#/g, "%23");
  return `<img class=c src="${uri}" width=${width} height=${height} alt="${title}" title="${title}">`;
}

function histogram(values: Float32Array): string | null {
  let min = Infinity;
  let max = -Infinity;
  for (const x of values) {
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (!(min < max)) return null; // no finite values, or one value: the stats line says it all
  const counts = new Array<number>(HIST_BINS).fill(0);
  const width = max - min;
  for (const x of values) {
    if (!Number.isFinite(x)) continue;
    counts[width === 0 ? HIST_BINS >> 1 : Math.min(HIST_BINS - 1, Math.floor(((x - min) / width) * HIST_BINS))]!++;
  }
  const top = Math.max(...counts);
  const steps = counts.map((c) => `V${HIST_HEIGHT - Math.max(c > 0 ? 1 : 0, Math.round((c / top) * HIST_HEIGHT))}h1`).join("");
  const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ${HIST_BINS} ${HIST_HEIGHT}' preserveAspectRatio='none'><path fill='#4a7ab0' d='M0 ${HIST_HEIGHT}${steps}V${HIST_HEIGHT}z'/></svg>`;
  return image(svg, 48, 16, "histogram");
}

function heatmap(values: Float32Array, rows: number, cols: number): string {
  const r = Math.min(rows, MAX_ROWS);
  const c = Math.min(cols, MAX_COLS);
  const cells = new Float64Array(r * c);
  const counts = new Uint32Array(r * c);
  for (let i = 0; i < rows; i++) {
    const ci = Math.floor((i * r) / rows);
    for (let j = 0; j < cols; j++) {
      const x = values[i * cols + j]!;
      if (!Number.isFinite(x)) continue;
      const k = ci * c + Math.floor((j * c) / cols);
      cells[k]! += x;
      counts[k]!++;
    }
  }
  let scale = 0;
  for (let k = 0; k < cells.length; k++) {
    if (counts[k]! > 0) cells[k] = cells[k]! / counts[k]!;
    scale = Math.max(scale, Math.abs(cells[k]!));
  }
  const paths = new Map<number, string>();
  for (let k = 0; k < cells.length; k++) {
    const level = scale === 0 ? 0 : Math.round((cells[k]! / scale) * LEVELS);
    if (level === 0) continue;
    paths.set(level, (paths.get(level) ?? "") + `M${k % c} ${Math.floor(k / c)}h1v1h-1z`);
  }
  const body = [...paths]
    .map(([level, d]) => `<path fill='${level < 0 ? "#2166ac" : "#b2182b"}' fill-opacity='${(Math.abs(level) / LEVELS).toFixed(2)}' d='${d}'/>`)
    .join("");

  const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ${c} ${r}' preserveAspectRatio='none' shape-rendering='crispEdges'><rect width='${c}' height='${r}' fill='#f4f4f4'/>${body}</svg>`;
  return image(svg, Math.min(96, c * 6), Math.min(18, r * 6), `heatmap ${rows}x${cols}`);
}
