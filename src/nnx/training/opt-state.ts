/**
 * The optimizer state as Variables, as Flax keeps it: every array of an optax
 * state becomes an `OptArray` (count) or, where it mirrors a model Variable
 * (Adam's mu and nu), an `OptVariable` carrying that Variable's metadata. So
 * `nnx.state(optimizer)` holds the whole optimizer state and checkpoints.
 *
 * Between the two representations the trees are "plain": JS arrays and plain
 * objects with array leaves. A State level becomes a JS array when its keys
 * are the positions 0..n-1 (a list in the model) and a plain object otherwise,
 * so key lookups read the same on both sides.
 */
import * as jax from "@jax-js/jax";
import { isPlainObject, type TreeKey, type TreePath } from "../../runtime/pytree.js";
import { describeLeaf, isJaxArray } from "../arrays.js";
import { formatPath } from "../paths.js";
import { State } from "../statelib.js";
import { Variable } from "../variablelib.js";

/** Optimizer state (Flax's nnx.OptState): the step counter, and the base of the two below. */
export class OptState<T = jax.Array> extends Variable<T> {}
/** An optimizer-state array that mirrors no model Variable (a step count). */
export class OptArray<T = jax.Array> extends OptState<T> {}
/** An optimizer-state array shaped like a model Variable (a moment estimate), with its metadata. */
export class OptVariable<T = jax.Array> extends OptState<T> {}

export type PlainTree<L = jax.Array> = L | null | PlainTree<L>[] | { [key: string]: PlainTree<L> };

/** A State as a plain tree; `take` gives what stands for each Variable (owned by the tree). */
export function stateToPlain<L = jax.Array>(state: State, take: (variable: Variable) => L, what: string): PlainTree<L> {
  const walk = (level: State, path: TreePath): PlainTree<L> => {
    const entries = level.entries();
    const children = entries.map(([key, value]): [TreeKey, PlainTree<L>] => {
      const at = [...path, key];
      if (value instanceof State) return [key, walk(value, at)];
      if (value instanceof Variable && isJaxArray(value.raw)) return [key, take(value as Variable)];
      throw new Error(`${what}: expected an array Variable at ${formatPath(at)}, got ${describeLeaf(value)}`);
    });
    const isList = children.every(([key], i) => key === i);
    return isList && children.length > 0 ? children.map(([, c]) => c) : Object.fromEntries(children);
  };
  return walk(state, []);
}

/** Wrap the arrays of an optax state (as `init` returns it) in OptArray / OptVariable, in place of the raw ones. */
export function wrapOptState(tree: unknown, path: TreePath = []): unknown {
  if (tree === null) return null;
  if (isJaxArray(tree)) return new OptArray(tree);
  if (tree instanceof Variable) return asOptVariable(tree);
  if (tree instanceof State) return stateToPlain(tree, asOptVariable, "Optimizer");
  if (Array.isArray(tree)) return tree.map((child, i) => wrapOptState(child, [...path, i]));
  if (isPlainObject(tree)) return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, wrapOptState(v, [...path, k])]));
  throw new Error(`Optimizer: the transformation's state holds ${describeLeaf(tree)} at ${formatPath(path)}; optimizer states must be trees of arrays`);
}

/** The Variable's array, moved into an OptVariable with its metadata. */
function asOptVariable(variable: Variable): OptVariable {
  return new OptVariable(variable.raw, { ...variable.metadata });
}

/** The stored optimizer state as a plain tree of new references (for `tx.update`, which consumes them). */
export function readOptState(stored: unknown): unknown {
  if (stored instanceof OptState) return stored.value;
  if (Array.isArray(stored)) return stored.map(readOptState);
  if (isPlainObject(stored)) return Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, readOptState(v)]));
  return stored;
}

/** Move the arrays of `next` (a plain tree shaped like `stored`) into the stored Variables. */
export function writeOptState(stored: unknown, next: unknown, path: TreePath = []): void {
  if (stored instanceof OptState) {
    if (!isJaxArray(next)) throw new Error(`Optimizer: the new state has ${describeLeaf(next)} at ${formatPath(path)}, where an array was`);
    stored.value = next;
    return;
  }
  if (Array.isArray(stored) || isPlainObject(stored)) {
    const keys = Object.keys(stored);
    const nextKeys = typeof next === "object" && next !== null ? Object.keys(next) : [];
    if (keys.length !== nextKeys.length || keys.some((k) => !(k in (next as object)))) {
      throw new Error(`Optimizer: the new state's keys at ${formatPath(path)} are [${nextKeys}], expected [${keys}]`);
    }
    for (const key of keys) {
      const k = Array.isArray(stored) ? Number(key) : key;
      writeOptState((stored as Record<string, unknown>)[key], (next as Record<string, unknown>)[key], [...path, k]);
    }
  }
}

/** The leaf of a plain tree at `path` (list positions and attribute names alike). */
export function plainAt(tree: PlainTree, path: TreePath): jax.Array {
  let node: unknown = tree;
  for (const key of path) node = (node as Record<string, unknown>)[key as string];
  if (!isJaxArray(node)) throw new Error(`Optimizer: no array at ${formatPath(path)} in the updated parameters`);
  return node;
}
