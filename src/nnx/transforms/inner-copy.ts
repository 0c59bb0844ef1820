/**
 * What the transforms share: a graph-node argument is taken apart into its
 * graphdef and leaves; inside the traced function a fresh copy is rebuilt
 * from (possibly traced) arrays, so tracers never reach the caller's
 * Variables; afterwards the leaves the function changed are read off the copy
 * and written back to the caller's Variables (BatchNorm statistics, Rng
 * counts: updates made inside a transform reach the model, as in Flax).
 */
import type * as jax from "@jax-js/jax";
import { isJaxArray, releaseLeaf } from "../arrays.js";
import { flattenGraph, merge, type GraphDef } from "../graph.js";
import { formatPath } from "../paths.js";
import { fromFlatState, type FlatState } from "../statelib.js";
import { Variable } from "../variablelib.js";

export interface TakenApart {
  graphdef: GraphDef;
  /** The caller's leaves (Variables or raw arrays), in state order. */
  leaves: FlatState;
}

export function takeApart(node: unknown): TakenApart {
  const { graphdef, leaves } = flattenGraph(node);
  return { graphdef, leaves };
}

/** The array a leaf holds (borrowed), or the non-array value. */
export function leafValue(leaf: unknown): unknown {
  return leaf instanceof Variable ? leaf.raw : leaf;
}

export interface InnerCopy<T> {
  node: T;
  /** The copy's Variables (or raw leaves), in the same order as the caller's. */
  leaves: unknown[];
  /** What each leaf held when the copy was made, to see what the function changed. */
  initial: unknown[];
}

/**
 * A copy of the graph whose leaf i holds `values[i]` (owned by the copy):
 * new Variables of the same class and metadata, same static structure.
 */
export function rebuildCopy<T>(apart: TakenApart, values: unknown[]): InnerCopy<T> {
  const flat = apart.leaves.map(([path, leaf], i) => [path, leaf instanceof Variable ? leaf.withValue(values[i]) : values[i]] as const);
  const node = merge<T>(apart.graphdef, fromFlatState(flat));
  return { node, leaves: flat.map(([, leaf]) => leaf), initial: values };
}

/**
 * Indices of the leaves the function replaced, with new references to their
 * values; then the copy's arrays are released.
 */
export function collectChanges(copy: InnerCopy<unknown>): { changed: number[]; values: jax.Array[] } {
  const changed: number[] = [];
  const values: jax.Array[] = [];
  copy.leaves.forEach((leaf, i) => {
    const now = leafValue(leaf);
    if (now !== copy.initial[i] && isJaxArray(now)) {
      changed.push(i);
      values.push(now.ref);
    }
  });
  for (const leaf of copy.leaves) {
    if (leaf instanceof Variable) leaf.dispose();
    else releaseLeaf(leaf);
  }
  return { changed, values };
}

/** Write the changed leaves back into the caller's Variables (which take the arrays). */
export function writeBack(apart: TakenApart, changed: readonly number[], values: readonly jax.Array[]): void {
  changed.forEach((index, k) => {
    const [path, leaf] = apart.leaves[index]!;
    if (!(leaf instanceof Variable)) {
      releaseLeaf(values[k]);
      throw new Error(`a transformed function replaced the raw array attribute ${formatPath(path)}; keep state that changes in Variables`);
    }
    leaf.value = values[k] as never;
  });
}
