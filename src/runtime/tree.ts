/**
 * `jax.tree` as tsnnx exports it: jax-js's tree functions, extended to the
 * classes that speak the runtime's tree protocol (`./pytree.ts`: nnx's State
 * and Variable, optax states), so code from the Flax docs such as
 * `jax.tree.map(jnp.shape, nnx.state(model))` runs as written. jax-js cannot
 * register node types, and sees a State as one opaque leaf.
 *
 * As in Flax NNX >= 0.11, a State is a node keyed like its mapping and a
 * Variable a node with one child `value`, so the leaves of a model's state are
 * its arrays, and mapping over a State gives a State of Variables (same class
 * and metadata) holding the results.
 *
 * For trees without protocol nodes every function gives exactly what jax-js's
 * does: JS arrays and objects whose constructor is `Object` are nodes, all else
 * (null, `Object.create(null)`, class instances) a leaf, and treedefs are
 * jax-js `JsTreeDef`s. A protocol node's treedef is a `JsTreeDef` subclass of a
 * fourth kind, "Pytree", holding the node's class, keys and rebuild: only this
 * module's functions read it. One difference on bad input: `map` checks that
 * every extra tree has the first one's structure (jax-js pairs leaves by
 * position without looking) and names both structures when not.
 *
 * Move semantics as in jax-js: `fn` gets the tree's own arrays (a State's are
 * borrowed from its Variables), and `leaves`/`flatten` return them without a
 * new reference. Reading `.shape` or `.dtype` consumes nothing; a `fn` that
 * consumes its argument (`(x) => x.mul(0)`) consumes the tree's arrays, so map
 * over `jax.tree.ref(state)` (or use `x.ref`) to keep the state usable.
 */
import { tree as jaxTree, type Array as JaxArray } from "@jax-js/jax";
import { isPytreeNode, pytreeNode, type PytreeNode, type PytreeChildren, type TreeKey } from "./pytree.js";

export const JsTreeDef = jaxTree.JsTreeDef;
export type JsTreeDef = jaxTree.JsTreeDef;
export const NodeType = jaxTree.NodeType;
export type NodeType = jaxTree.NodeType;
export type JsTree<T> = jaxTree.JsTree<T>;
export type MapJsTree<T, A, B> = jaxTree.MapJsTree<T, A, B>;

/** A tree as these functions take it: jax-js's trees, with protocol nodes anywhere inside. */
export type Tree<T> = T | PytreeNode | readonly Tree<T>[] | { readonly [key: string]: Tree<T> };

type Same<X, Y> = (<V>() => V extends X ? 1 : 2) extends <V>() => V extends Y ? 1 : 2 ? true : false;
/**
 * A tree shaped like `TreeT` with leaves `A` turned into `B`, as jax-js's
 * `MapJsTree`; a protocol node keeps its own type (a State maps to a State).
 */
export type MapTree<TreeT, A, B> = Same<A, B> extends true ? TreeT : MappedTree<TreeT, A, B>;
type MappedTree<TreeT, A, B> =
  TreeT extends PytreeNode<infer Self>
    ? Self
    : TreeT extends A
      ? B
      : TreeT extends JaxArray
        ? TreeT
        : TreeT extends readonly (infer E)[]
          ? number extends TreeT["length"]
            ? MapTree<E, A, B>[]
            : { [K in keyof TreeT]: MapTree<TreeT[K], A, B> }
          : { [K in keyof TreeT]: MapTree<TreeT[K], A, B> };

/** The treedef of a protocol node: its class, its children's keys, and how to rebuild one. */
class PytreeNodeDef extends jaxTree.JsTreeDef {
  constructor(
    readonly nodeClass: Function,
    readonly keys: readonly TreeKey[],
    readonly rebuild: PytreeChildren<unknown>["rebuild"],
    childTreedefs: JsTreeDef[],
  ) {
    // jax-js's NodeType has no member for custom nodes; "Pytree" keeps jax-js's own code from taking it for one of its kinds.
    super("Pytree" as NodeType, { nodeClass, keys }, childTreedefs);
  }

  override toString(root = true): string {
    if (root) return `JsTreeDef(${this.toString(false)})`;
    // Keys written as jax-js writes an object's: bare when they read as identifiers (or list positions).
    const shown = (key: TreeKey) => (typeof key === "number" || /^[a-zA-Z_$][a-zA-Z0-9_$]*$/.test(key) ? String(key) : JSON.stringify(key));
    const parts = this.keys.map((key, i) => `${shown(key)}: ${this.childTreedefs[i]!.toString(false)}`);
    return `${this.nodeClass.name}{${parts.join(", ")}}`;
  }

  override equals(other: JsTreeDef): boolean {
    return (
      other instanceof PytreeNodeDef &&
      other.nodeClass === this.nodeClass &&
      other.keys.length === this.keys.length &&
      other.keys.every((key, i) => key === this.keys[i]) &&
      this.childTreedefs.every((child, i) => child.equals(other.childTreedefs[i]!))
    );
  }
}

function flattenInto(tree: unknown, leaves: unknown[]): JsTreeDef {
  if (Array.isArray(tree)) return new JsTreeDef(NodeType.Array, null, tree.map((child) => flattenInto(child, leaves)));
  if (isPytreeNode(tree)) {
    const { children, rebuild } = tree[pytreeNode]();
    const defs = children.map(([, child]) => flattenInto(child, leaves));
    return new PytreeNodeDef(tree.constructor, children.map(([key]) => key), rebuild, defs);
  }
  // jax-js's rule for a plain object (not `isPlainObject`, which also takes prototype-less objects).
  if (typeof tree === "object" && tree !== null && tree.constructor === Object) {
    const entries = Object.entries(tree);
    return new JsTreeDef(NodeType.Object, entries.map(([key]) => key), entries.map(([, child]) => flattenInto(child, leaves)));
  }
  leaves.push(tree);
  return JsTreeDef.leaf;
}

function unflattenFrom(treedef: JsTreeDef, leaves: Iterator<unknown>): unknown {
  if (treedef instanceof PytreeNodeDef) {
    return treedef.rebuild(treedef.keys.map((key, i) => [key, unflattenFrom(treedef.childTreedefs[i]!, leaves)]));
  }
  switch (treedef.nodeType) {
    case NodeType.Leaf: {
      const { value, done } = leaves.next();
      if (done) throw new TypeError("Ran out of leaves while unflattening JsTree");
      return value;
    }
    case NodeType.Array:
      return treedef.childTreedefs.map((child) => unflattenFrom(child, leaves));
    case NodeType.Object: {
      const keys = treedef.nodeMetadata as string[];
      const out: Record<string, unknown> = {};
      treedef.childTreedefs.forEach((child, i) => (out[keys[i]!] = unflattenFrom(child, leaves)));
      return out;
    }
  }
  throw new TypeError(`unflatten: unknown tree node kind ${JSON.stringify(treedef.nodeType)}`);
}

/** Flatten a tree: its leaves in order (not referenced: the tree still owns them) and its treedef. */
export function flatten<T = JaxArray>(tree: Tree<T>): [T[], JsTreeDef] {
  const leaves: T[] = [];
  return [leaves, flattenInto(tree, leaves)];
}

/** The leaves of a tree in order; a State's come in key order, as `nnx.toFlatState` lists them. */
export function leaves<T = JaxArray>(tree: Tree<T>): T[] {
  return flatten(tree)[0];
}

export function structure<T = JaxArray>(tree: Tree<T>): JsTreeDef {
  return flatten(tree)[1];
}

/** Rebuild a tree of `treedef`'s structure from leaves (protocol nodes through their own rebuild). */
export function unflatten<T>(treedef: JsTreeDef, leaves: Iterable<T>): Tree<T> {
  return unflattenFrom(treedef, leaves[Symbol.iterator]()) as Tree<T>;
}

/**
 * Map `fn` over the leaves of `tree` and the leaves at the same places in
 * `rest` (which must have the same structure), giving a tree shaped like `tree`.
 */
export function map<T = JaxArray, U = unknown, TreeT extends Tree<T> = Tree<T>>(
  fn: (...args: T[]) => U,
  tree: TreeT,
  ...rest: TreeT[]
): MapTree<TreeT, T, U> {
  const [firstLeaves, treedef] = flatten<T>(tree);
  const restLeaves = rest.map((other, i) => {
    const [otherLeaves, otherDef] = flatten<T>(other);
    if (!otherDef.equals(treedef)) {
      throw new TypeError(`jax.tree.map: tree ${i + 2} has structure ${otherDef.toString()}, but the first tree has ${treedef.toString()}`);
    }
    return otherLeaves;
  });
  const results = firstLeaves.map((leaf, i) => fn(leaf, ...restLeaves.map((others) => others[i]!)));
  return unflatten(treedef, results) as MapTree<TreeT, T, U>;
}

/** A tree holding a new reference to every array of `tree` (a State: new Variables of the same kinds). */
export function ref<TreeT extends Tree<unknown>>(tree: TreeT): TreeT {
  return map((leaf: unknown) => jaxTree.ref(leaf), tree) as TreeT;
}

/** Drop one reference to every array of `tree` (a State's Variables then hold disposed arrays). */
export function dispose<TreeT extends Tree<unknown>>(tree: TreeT | null | undefined): void {
  if (tree) for (const leaf of leaves<unknown>(tree)) jaxTree.dispose(leaf);
}
