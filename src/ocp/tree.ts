/**
 * Trees as the checkpoint layer sees them: flattened to leaves keyed by paths
 * with Orbax's key types, and rebuilt either in the shape of a template (its
 * node kinds kept through the pytree protocol) or as plain nested containers.
 */
import { treeNodeOf, type TreeKey } from "../runtime/pytree.js";

/** Orbax's key types: 1 = sequence index, 2 = dict key or attribute. */
export type KeyType = 1 | 2;

export interface TreeLeaf<T = unknown> {
  keys: TreeKey[];
  keyTypes: KeyType[];
  leaf: T;
}

/** null/undefined are empty nodes (Python's None in a pytree): they hold no leaves. */
function isEmptyNode(value: unknown): boolean {
  return value === null || value === undefined;
}

/** Orbax's key type of a node's children: 1 under a JS array, 2 under an object or protocol node. */
const keyTypeOf = (sequence: boolean): KeyType => (sequence ? 1 : 2);

/** Every leaf of `tree` in order, with its path. */
export function flattenTree(tree: unknown): TreeLeaf[] {
  const out: TreeLeaf[] = [];
  const visit = (node: unknown, keys: TreeKey[], keyTypes: KeyType[]): void => {
    if (isEmptyNode(node)) return;
    const node_ = treeNodeOf(node);
    if (node_ === null) {
      out.push({ keys, keyTypes, leaf: node });
      return;
    }
    const keyType = keyTypeOf(node_.sequence);
    for (const [key, child] of node_.children) visit(child, [...keys, key], [...keyTypes, keyType]);
  };
  visit(tree, [], []);
  return out;
}

/** The same tree with each leaf replaced by `replace(leaf)`; node kinds are rebuilt as they were. */
export function mapTree(tree: unknown, replace: (leaf: TreeLeaf) => unknown): unknown {
  const visit = (node: unknown, keys: TreeKey[], keyTypes: KeyType[]): unknown => {
    if (isEmptyNode(node)) return node;
    const node_ = treeNodeOf(node);
    if (node_ === null) return replace({ keys, keyTypes, leaf: node });
    const keyType = keyTypeOf(node_.sequence);
    return node_.rebuild(node_.children.map(([key, child]) => [key, visit(child, [...keys, key], [...keyTypes, keyType])]));
  };
  return visit(tree, [], []);
}

/** Plain nested containers from leaves: JS arrays where the key type is 1 (sequence), objects elsewhere. */
export function buildNested(leaves: TreeLeaf[]): unknown {
  if (leaves.length === 1 && leaves[0].keys.length === 0) return leaves[0].leaf;
  const root: Record<string, unknown> | unknown[] = leaves.length > 0 && leaves[0].keyTypes[0] === 1 ? [] : {};
  for (const { keys, keyTypes, leaf } of leaves) {
    if (keys.length === 0) throw new Error("buildNested: a root leaf cannot sit beside other leaves");
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < keys.length; i++) {
      const key = keyTypes[i] === 1 ? Number(keys[i]) : String(keys[i]);
      const container = node as Record<string | number, unknown>;
      if (i === keys.length - 1) {
        container[key] = leaf;
      } else {
        if (container[key] === undefined) container[key] = keyTypes[i + 1] === 1 ? [] : {};
        node = container[key] as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}

/** A path as Orbax names the leaf's array: keys joined with '.' (`linear1.kernel.value`). */
export function pathName(keys: readonly TreeKey[]): string {
  return keys.length === 0 ? "<root>" : keys.join(".");
}
