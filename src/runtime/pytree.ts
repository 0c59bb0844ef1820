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
