/** How layers name themselves in errors: class, and path when graph traversal has recorded one. */
import type * as jax from "@jax-js/jax";
import type { Variable } from "../variablelib.js";

/** The path graph traversal last noted on one of the layer's Variables, minus the Variable's own name. */
function pathOf(variable: Variable<unknown> | null | undefined): string | undefined {
  const path = variable?.path;
  if (path === undefined) return undefined;
  const cut = path.lastIndexOf(".");
  return cut === -1 ? undefined : path.slice(0, cut);
}

export function layerName(layer: object, variable?: Variable<unknown> | null): string {
  const path = pathOf(variable);
  return path === undefined ? layer.constructor.name : `${layer.constructor.name} at ${path}`;
}

export function shapeText(x: { shape: readonly number[] }): string {
  return `[${x.shape.join(", ")}]`;
}

/** An error for a non-array argument, so jax-js never sees it. */
export function checkArray(layer: object, variable: Variable<unknown> | null, x: unknown, what: string): asserts x is jax.Array {
  if (typeof x !== "object" || x === null || !("shape" in x) || !("dtype" in x)) {
    throw new Error(`${layerName(layer, variable)}: ${what} must be a jax-js array, got ${String(x)}`);
  }
}

export function checkPositiveInt(value: number, name: string, layer: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${layer}: ${name} must be a positive integer, got ${value}`);
}
