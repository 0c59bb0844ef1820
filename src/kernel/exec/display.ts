/**
 * `display` as cells see it: `display(value, { displayId, update })` and the
 * typed helpers `display.html(...)`, `display.markdown(...)`, and so on.
 * Output goes to the cell that calls it. Displays that need to read an array
 * finish before the cell's outcome is reported; `await display(x)` orders
 * them with later `console.log` output.
 */
import { currentCell, outsideCell, type RunningCell } from "./cell-context.js";
import { mimeBundles, type MimeBundle } from "./mime.js";

export interface DisplayOptions {
  /** Names the output so that a later `display(..., { displayId, update: true })` replaces it. */
  displayId?: string;
  /** Replace the output named `displayId` instead of adding one. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** Image bytes, or the same bytes already encoded as base64. */
export type ImageData = Uint8Array | string;

export interface Display {
  (value: unknown, options?: DisplayOptions): Promise<void>;
  html(html: string, options?: DisplayOptions): Promise<void>;
  markdown(markdown: string, options?: DisplayOptions): Promise<void>;
  svg(svg: string, options?: DisplayOptions): Promise<void>;
  png(image: ImageData, options?: DisplayOptions): Promise<void>;
  jpeg(image: ImageData, options?: DisplayOptions): Promise<void>;
  json(value: unknown, options?: DisplayOptions): Promise<void>;
  latex(latex: string, options?: DisplayOptions): Promise<void>;
  /** Shows a ready MIME bundle as it is. */
  bundle(data: MimeBundle, options?: DisplayOptions): Promise<void>;
  /** Clears the cell's output (after the next output arrives when `wait`). */
  clear(wait?: boolean): void;
}

function cellOrThrow(what: string): RunningCell {
  const cell = currentCell();
  if (!cell) throw new Error(`${what} was called outside a notebook cell: there is no output to show it in`);
  return cell;
}

/**
 * Shows each bundle as one output. With a displayId, the first output takes
 * it and the i-th (i > 0) takes `${displayId}:${i}`: Jupyter replaces every
 * output of an id with one bundle, so each output needs its own.
 */
function show(cell: RunningCell, data: MimeBundle[] | Promise<MimeBundle[]>, options: DisplayOptions = {}): Promise<void> {
  if (options.update && options.displayId === undefined) {
    return Promise.reject(new Error("display(..., { update: true }) needs a displayId: the output to replace"));
  }
  const transient = (i: number) => (options.displayId === undefined ? {} : { display_id: i === 0 ? options.displayId : `${options.displayId}:${i}` });
  const emit = (bundles: MimeBundle[]) =>
    outsideCell(() => bundles.forEach((bundle, i) => cell.io.display(bundle, options.metadata ?? {}, transient(i), options.update ?? false)));
  // A ready bundle goes out at once, in order with the cell's other output.
  if (!(data instanceof Promise)) {
    emit(data);
    return Promise.resolve();
  }
  const shown = data.then(emit);
  cell.pending.add(shown);
  void shown.then(
    () => cell.pending.delete(shown),
    () => cell.pending.delete(shown),
  );
  return shown;
}

function typed<T>(mime: string, describe: string, encode: (value: T) => unknown) {
  return (value: T, options?: DisplayOptions) => {
    const cell = cellOrThrow(`display.${describe}`);
    return show(cell, [{ [mime]: encode(value), "text/plain": `<${describe}>` }], options);
  };
}

function base64(image: ImageData): string {
  if (typeof image === "string") return image;
  if (image instanceof Uint8Array) return Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString("base64");
  throw new TypeError(`display.png/jpeg expects bytes (Uint8Array) or a base64 string, got ${typeof image}`);
}

function stringOf(kind: string) {
  return (value: unknown) => {
    if (typeof value !== "string") throw new TypeError(`display.${kind} expects a string, got ${typeof value}`);
    return value;
  };
}

export const display: Display = Object.assign(
  (value: unknown, options?: DisplayOptions) => show(cellOrThrow("display"), mimeBundles(value), options),
  {
    html: typed("text/html", "html", stringOf("html")),
    markdown: typed("text/markdown", "markdown", stringOf("markdown")),
    svg: typed("image/svg+xml", "svg", stringOf("svg")),
    png: typed("image/png", "png", base64),
    jpeg: typed("image/jpeg", "jpeg", base64),
    json: typed("application/json", "json", (value: unknown) => value),
    latex: typed("text/latex", "latex", stringOf("latex")),
    bundle: (data: MimeBundle, options?: DisplayOptions) => show(cellOrThrow("display.bundle"), [data], options),
    clear: (wait = false) => {
      const cell = cellOrThrow("display.clear");
      outsideCell(() => cell.io.clearOutput(wait));
    },
  },
);
