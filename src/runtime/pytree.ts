/**
 * The tree protocol shared by the layers above: `nnx` (State, Variable) and
 * `ocp` (which flattens any tree of arrays for storage) meet here without
 * importing each other.
 *
 * Plain objects and JS arrays are trees by themselves. Any other class that is
 * a tree node implements `[pytreeNode]()`, giving its children in order and a
 * way to rebuild a node of the same kind from new children. Everything else is
 * a leaf.
 */
export const pytreeNode: unique symbol = Symbol.for("tsnnx.pytreeNode");

/** A key in a tree path: attribute/dict keys are strings, list positions numbers. */
export type TreeKey = string | number;
export type TreePath = readonly TreeKey[];

export interface PytreeChildren<Self> {
  /** Children in a stable order, keyed as Python would key them. */
  children: [TreeKey, unknown][];
  /** A node of the same kind holding `children` (same keys, new values). */
  rebuild(children: [TreeKey, unknown][]): Self;
}

export interface PytreeNode<Self = unknown> {
  [pytreeNode](): PytreeChildren<Self>;
}

export function isPytreeNode(value: unknown): value is PytreeNode {
  return typeof value === "object" && value !== null && typeof (value as Partial<PytreeNode>)[pytreeNode] === "function";
}

/** An object made by `{}` or `Object.create(null)`: a tree node keyed by its own properties. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A tree node seen through the protocol; `sequence` marks JS arrays (Orbax's key type 1, list positions). */
export interface TreeNodeView extends PytreeChildren<unknown> {
  sequence: boolean;
}

/**
 * The one walker's view of `value`: JS arrays, plain objects and protocol
 * nodes are nodes; everything else (null included) is not, and gets null.
 */
export function treeNodeOf(value: unknown): TreeNodeView | null {
  if (Array.isArray(value)) {
    return { sequence: true, children: value.map((c, i) => [i, c]), rebuild: (cs) => cs.map(([, c]) => c) };
  }
  if (isPlainObject(value)) return { sequence: false, children: Object.entries(value), rebuild: (cs) => Object.fromEntries(cs) };
  if (isPytreeNode(value)) return { sequence: false, ...value[pytreeNode]() };
  return null;
}
