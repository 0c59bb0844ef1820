/**
 * Trees of arrays as optax sees them: plain objects, JS arrays, `null` (an
 * empty node, like Python's None) and any class speaking the runtime's tree
 * protocol (nnx's State among them). jax-js's own `tree` module treats class
 * instances as leaves, which would make a State one opaque leaf, so optax walks
 * trees here through the protocol instead.
 */
import type { Array as JaxArray } from "@jax-js/jax";
import { isPlainObject, isPytreeNode, treeNodeOf, type TreeKey, type TreePath } from "../runtime/pytree.js";

/** A tree of jax-js arrays: plain objects, JS arrays, `null`, and classes with the tree protocol (an `nnx.State`). */
export type ArrayTree = JaxArray | null | readonly ArrayTree[] | { readonly [key: string]: ArrayTree } | object;

function describe(path: TreePath): string {
  return path.length === 0 ? "the root" : `'${path.join(".")}'`;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isPlainObject(value)) return `an object with keys [${Object.keys(value).join(", ")}]`;
  if (isPytreeNode(value)) return `a ${value.constructor.name}`;
  return "a leaf";
}

/**
 * Map `fn` over the leaves of `tree` and the matching leaves of `rest` (which
 * must have the same structure), building a tree shaped like `tree`. `fn`
 * receives the leaves themselves: under jax-js's move semantics it consumes
 * them, so pass `treeRef(x)` for a tree you still need.
 */
export function treeMap<T>(fn: (...leaves: JaxArray[]) => JaxArray, tree: T, ...rest: unknown[]): T {
  return mapAt(fn, tree, rest, []) as T;
}

function mapAt(fn: (...leaves: JaxArray[]) => JaxArray, tree: unknown, rest: unknown[], path: TreeKey[]): unknown {
  if (tree === null || tree === undefined) {
    for (const other of rest) {
      if (other !== null && other !== undefined) {
        throw new Error(`tree structure mismatch at ${describe(path)}: null in the first tree, ${kindOf(other)} in another`);
      }
    }
    return tree;
  }
  const node = treeNodeOf(tree);
  if (!node) {
    for (const other of rest) {
      if (treeNodeOf(other) || other === null || other === undefined) {
        throw new Error(`tree structure mismatch at ${describe(path)}: a leaf in the first tree, ${kindOf(other)} in another`);
      }
    }
    return fn(tree as JaxArray, ...(rest as JaxArray[]));
  }
  const others = rest.map((other) => {
    const otherNode = treeNodeOf(other);
    const keys = node.children.map(([k]) => k);
    const otherKeys = otherNode?.children.map(([k]) => k);
    if (!otherNode || otherKeys!.length !== keys.length || otherKeys!.some((k, i) => k !== keys[i])) {
      throw new Error(
        `tree structure mismatch at ${describe(path)}: ${kindOf(tree)} in the first tree, ${kindOf(other)} in another`,
      );
    }
    return otherNode.children.map(([, c]) => c);
  });
  return node.rebuild(
    node.children.map(([key, child], i) => [
      key,
      mapAt(
        fn,
        child,
        others.map((cs) => cs[i]),
        [...path, key],
      ),
    ]),
  );
}

/** The leaves of `tree` in order (not referenced: the tree still owns them). */
export function treeLeaves(tree: unknown): JaxArray[] {
  const leaves: JaxArray[] = [];
  const visit = (value: unknown): void => {
    if (value === null || value === undefined) return;
    const node = treeNodeOf(value);
    if (!node) leaves.push(value as JaxArray);
    else for (const [, child] of node.children) visit(child);
  };
  visit(tree);
  return leaves;
}

/** A tree holding a new reference to every leaf of `tree`. */
export function treeRef<T>(tree: T): T {
  return treeMap((leaf) => leaf.ref, tree);
}

/** Drop one reference to every leaf of `tree`. */
export function treeDispose(tree: unknown): void {
  for (const leaf of treeLeaves(tree)) leaf.dispose();
}
