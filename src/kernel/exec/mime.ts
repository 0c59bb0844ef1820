/**
 * How values look in a notebook: objects with a `[Symbol.for("Jupyter.display")]()`
 * method (Deno's convention) choose their own MIME bundle, or an array of
 * bundles for a value shown as several outputs (a checkpoint history's table
 * and chart); jax-js arrays show their values; everything else is
 * `text/plain` through `util.inspect`.
 */
import { inspect } from "node:util";
import { isJaxArray, type JaxArray } from "./jax-array.js";

/**
 * Output data by MIME type. Declared here, not with the executor's types:
 * every notebook's type checker reads this file's declarations through
 * display.ts, and the executor's types would bring in the TypeScript API's.
 */
export type MimeBundle = Record<string, unknown>;

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/** Arrays larger than this show their shape and dtype only. */
const MAX_SHOWN_ELEMENTS = 1000;

/**
 * The MIME bundles for `value`, one per output (one unless its display
 * method returns an array); reads arrays without consuming them. A promise
 * only where the bundles need asynchronous work (array data, an asynchronous
 * custom display).
 */
export function mimeBundles(value: unknown): MimeBundle[] | Promise<MimeBundle[]> {
  const custom = customDisplay(value);
  if (custom) {
    const bundle = custom();
    return bundle instanceof Promise ? bundle.then((b) => checkBundles(b, value)) : checkBundles(bundle, value);
  }
  if (isJaxArray(value)) return formatArray(value).then((text) => [{ "text/plain": text }]);
  return [{ "text/plain": inspect(value, { colors: false, depth: 4, maxArrayLength: 100 }) }];
}

function customDisplay(value: unknown): (() => unknown) | null {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return null;
  const method = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  return typeof method === "function" ? () => (method as () => unknown).call(value) : null;
}

function checkBundles(returned: unknown, value: unknown): MimeBundle[] {
  const bundles = Array.isArray(returned) ? returned : [returned];
  const isBundle = (b: unknown): boolean => typeof b === "object" && b !== null && !Array.isArray(b);
  if (bundles.length === 0 || !bundles.every(isBundle)) {
    const name = (value as object).constructor?.name ?? typeof value;
    throw new TypeError(
      `[Symbol.for("Jupyter.display")]() of ${name} returned ${inspect(returned)}: it must return a MIME bundle object such as { "text/html": "..." }, or a non-empty array of them (one per output)`,
    );
  }
  return bundles as MimeBundle[];
}

async function formatArray(array: JaxArray): Promise<string> {
  const header = `dtype=${array.dtype}`;
  if (array.refCount <= 0) return `Array(<disposed>, shape=[${array.shape.join(", ")}], ${header})`;
  if (array.size > MAX_SHOWN_ELEMENTS) return `Array(shape=[${array.shape.join(", ")}], ${header})`;
  const values: unknown = await array.ref.jsAsync();
  return `Array(${formatNested(values, 6)}, ${header})`;
}

function formatNested(value: unknown, indent: number): string {
  if (!Array.isArray(value)) return formatScalar(value);
  if (value.length === 0 || !Array.isArray(value[0])) return `[${value.map(formatScalar).join(", ")}]`;
  const rows = value.map((row) => formatNested(row, indent + 1));
  return `[${rows.join(",\n" + " ".repeat(indent + 1))}]`;
}

function formatScalar(value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value) && !Number.isInteger(value)) {
    return String(Number(value.toPrecision(7)));
  }
  return String(value);
}
