/**
 * The graph functions (Flax's `graph`): `split` a node into a static
 * `GraphDef` and `State`s, `merge` them back, `update`, `state`, `graphdef`,
 * `clone`, `iterGraph`.
 *
 * A graph is made of nodes (Pytree instances, JS arrays and plain objects that
 * hold data) whose attributes hold Variables, raw array leaves (jax-js arrays
 * or ShapeDtypeStructs), other nodes, or static values. Nodes and Variables
 * are tracked by identity: one reachable twice (tied weights) is in the state
 * once, under the first path in key order, and shared again after `merge`.
 */
import { isPlainObject, type TreeKey, type TreePath } from "../runtime/pytree.js";
import { describeLeaf, isArrayLeaf } from "./arrays.js";
import { partitionFlat, type Filter } from "./filterlib.js";
import { compareKeys, formatPath, formatPaths } from "./paths.js";
import { Pytree, createEmpty, type PytreeClass } from "./pytreelib.js";
import { State, checkCompatible, fromFlatState, type FlatState, type PureDict, type StateLeaf } from "./statelib.js";
import { Variable, type VariableClass, type VariableMetadata } from "./variablelib.js";

/** A node of the graph: a Pytree, or a JS array / plain object holding data. */
export type GraphNode = Pytree | unknown[] | Record<string, unknown>;

export type AttrDef =
  | { readonly kind: "static"; readonly value: unknown }
  | { readonly kind: "node"; readonly node: NodeDef }
  /** A Variable, whose value is in the state at this attribute's path. */
  | { readonly kind: "variable"; readonly index: number; readonly type: VariableClass; readonly metadata: VariableMetadata }
  /** A raw array leaf, in the state at this attribute's path. */
  | { readonly kind: "leaf" }
  /** A node or Variable met earlier in the traversal (shared reference). */
  | { readonly kind: "ref"; readonly index: number };

export type NodeDef =
  | { readonly kind: "pytree"; readonly index: number; readonly type: PytreeClass; readonly attributes: readonly (readonly [string, AttrDef])[]; readonly order: readonly string[] }
  | { readonly kind: "list"; readonly index: number; readonly items: readonly AttrDef[] }
  | { readonly kind: "dict"; readonly index: number; readonly attributes: readonly (readonly [string, AttrDef])[]; readonly order: readonly string[] };

/** The static part of a graph: structure, classes, static attributes. */
export class GraphDef {
  constructor(readonly root: NodeDef) {}

  toString(): string {
    return `GraphDef(${describeNodeDef(this.root)})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function describeNodeDef(def: NodeDef): string {
  const attr = (a: AttrDef): string => {
    switch (a.kind) {
      case "static": return describeLeaf(a.value);
      case "node": return describeNodeDef(a.node);
      case "variable": return a.type.name;
      case "leaf": return "Array";
      case "ref": return `<shared #${a.index}>`;
    }
  };
  if (def.kind === "list") return `[${def.items.map(attr).join(", ")}]`;
  const body = def.attributes.map(([k, a]) => `${k}=${attr(a)}`).join(", ");
  return def.kind === "dict" ? `{${body}}` : `${def.type.name}(${body})`;
}

/** Whether a JS array or plain object holds any graph data (and so is a node, not static). */
function holdsData(value: unknown, seen: Set<object>): boolean {
  if (value instanceof Variable || value instanceof Pytree || isArrayLeaf(value)) return true;
  if (!Array.isArray(value) && !isPlainObject(value)) return false;
  if (seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((child) => holdsData(child, seen));
}

export function isGraphNode(value: unknown): value is GraphNode {
  if (value instanceof Pytree) return true;
  return (Array.isArray(value) || isPlainObject(value)) && holdsData(value, new Set());
}

/** A node's attributes in their own order (list positions for arrays). */
function nodeEntries(node: GraphNode): [TreeKey, unknown][] {
  if (Array.isArray(node)) return node.map((v, i) => [i, v]);
  return Object.keys(node).map((k) => [k, (node as Record<string, unknown>)[k]]);
}

interface Flattened {
  graphdef: GraphDef;
  /** Each Variable (once) and raw array leaf with its path, in key order. */
  leaves: FlatState;
}

/** Walk the graph in key order (as Flax does), numbering nodes and Variables as they are met. */
export function flattenGraph(root: unknown): Flattened {
  if (!isGraphNode(root)) {
    throw new Error(`expected a graph node (a Module, Rngs, or an array / object holding Variables), got ${describeLeaf(root)}`);
  }
  const indexOf = new Map<object, number>();
  const leaves: FlatState = [];
  const visitValue = (value: unknown, path: TreeKey[]): AttrDef => {
    if ((typeof value === "object" || typeof value === "function") && value !== null && indexOf.has(value)) {
      return { kind: "ref", index: indexOf.get(value)! };
    }
    if (value instanceof Variable) {
      const index = indexOf.size;
      indexOf.set(value, index);
      value.notePath(path);
      leaves.push([path, value]);
      return { kind: "variable", index, type: value.constructor as VariableClass, metadata: { ...value.metadata } };
    }
    if (isArrayLeaf(value)) {
      leaves.push([path, value]);
      return { kind: "leaf" };
    }
    if (isGraphNode(value)) return { kind: "node", node: visitNode(value, path) };
    return { kind: "static", value };
  };
  const visitNode = (node: GraphNode, path: TreeKey[]): NodeDef => {
    const index = indexOf.size;
    indexOf.set(node, index);
    const entries = nodeEntries(node);
    const sorted = [...entries].sort((a, b) => compareKeys(a[0], b[0]));
    const attributes = sorted.map(([key, value]) => [key, visitValue(value, [...path, key])] as const);
    if (Array.isArray(node)) return { kind: "list", index, items: attributes.map(([, a]) => a) };
    const named = attributes as (readonly [string, AttrDef])[];
    const order = entries.map(([k]) => k as string);
    if (node instanceof Pytree) return { kind: "pytree", index, type: node.constructor as PytreeClass, attributes: named, order };
    return { kind: "dict", index, attributes: named, order };
  };
  const rootDef = visitNode(root, []);
  return { graphdef: new GraphDef(rootDef), leaves };
}

/** The state paths a graphdef expects, in key order. */
function expectedPaths(graphdef: GraphDef): TreePath[] {
  const paths: TreePath[] = [];
  const visitAttr = (attr: AttrDef, path: TreeKey[]) => {
    if (attr.kind === "variable" || attr.kind === "leaf") paths.push(path);
    else if (attr.kind === "node") visitNode(attr.node, path);
  };
  const visitNode = (def: NodeDef, path: TreeKey[]) => {
    if (def.kind === "list") def.items.forEach((a, i) => visitAttr(a, [...path, i]));
    else for (const [k, a] of def.attributes) visitAttr(a, [...path, k]);
  };
  visitNode(graphdef.root, []);
  return paths;
}

const pathKey = (path: TreePath): string => JSON.stringify(path);

/**
 * Rebuild a graph from its graphdef and state(s). The states' Variables are
 * used as they are (the new graph shares them, as in Flax); a raw value where
 * the graphdef has a Variable is wrapped in a Variable of the recorded class
 * and metadata. A state that does not fit is an error naming the missing and
 * the extra paths.
 */
export function merge<T = GraphNode>(graphdef: GraphDef, state: State, ...states: State[]): T {
  for (const s of [state, ...states]) {
    if (!(s instanceof State)) throw new Error(`merge: expected State objects, got ${describeLeaf(s)} (use nnx.replaceByPureDict for pure dicts)`);
  }
  const source = states.length === 0 ? state : State.merge(state, ...states);
  // The graphdef and the state are walked side by side (no path strings: merge runs on every transform call).
  // Any leaf missing, or found where a subtree belongs, marks a misfit; leaves the walk never takes are extra.
  let taken = 0;
  let misfit = false;
  const objects: unknown[] = [];
  const childState = (parent: State | undefined, key: TreeKey): State | undefined => {
    const child = parent?.has(key) ? parent.get(key) : undefined;
    return child instanceof State ? child : undefined;
  };
  const takeLeaf = (parent: State | undefined, key: TreeKey): StateLeaf => {
    const leaf = parent?.has(key) ? parent.get(key) : undefined;
    if (leaf === undefined || leaf instanceof State) misfit = true;
    else taken++;
    return leaf;
  };
  const buildValue = (attr: AttrDef, parent: State | undefined, key: TreeKey): unknown => {
    switch (attr.kind) {
      case "static":
        return attr.value;
      case "ref":
        return objects[attr.index];
      case "leaf":
        return takeLeaf(parent, key);
      case "variable": {
        const leaf = takeLeaf(parent, key);
        const variable = leaf instanceof Variable ? leaf : new (attr.type as new (v: unknown, m: VariableMetadata) => Variable<unknown>)(leaf, attr.metadata);
        objects[attr.index] = variable;
        return variable;
      }
      case "node":
        return buildNode(attr.node, childState(parent, key));
    }
  };
  const buildNode = (def: NodeDef, at: State | undefined): unknown => {
    if (def.kind === "list") {
      const list: unknown[] = [];
      objects[def.index] = list;
      def.items.forEach((a, i) => (list[i] = buildValue(a, at, i)));
      return list;
    }
    const node = (def.kind === "pytree" ? def.type[createEmpty]() : {}) as Record<string, unknown>;
    objects[def.index] = node;
    const values = new Map(def.attributes.map(([k, a]) => [k, buildValue(a, at, k)]));
    // Own data properties, as the constructor made them (a prototype getter of the same name must not intercept).
    for (const key of def.order) Object.defineProperty(node, key, { value: values.get(key), enumerable: true, writable: true, configurable: true });
    return node;
  };
  const root = buildNode(graphdef.root, source);
  if (misfit || taken !== source.leafCount()) throw misfitError(graphdef, source);
  return root as T;
}

/** The error for a state that does not fit a graphdef: the missing and the extra paths. */
function misfitError(graphdef: GraphDef, state: State): Error {
  const present = new Set(state.flatState().map(([path]) => pathKey(path)));
  const expected = expectedPaths(graphdef);
  const expectedKeys = new Set(expected.map(pathKey));
  const missing = expected.filter((p) => !present.has(pathKey(p)));
  const extra = [...present].filter((k) => !expectedKeys.has(k)).map((k) => JSON.parse(k) as TreePath);
  const parts = [];
  if (missing.length > 0) parts.push(`missing ${missing.length}: ${formatPaths(missing)}`);
  if (extra.length > 0) parts.push(`extra ${extra.length}: ${formatPaths(extra)}`);
  return new Error(`merge: the state does not fit the graphdef (${parts.join("; ")})`);
}

type SplitResult = [GraphDef, State, ...State[]];

/**
 * `[graphdef, state]`, or with filters one State per filter (each leaf in
 * the first filter it matches; a leaf no filter matches is an error).
 */
export function split(node: unknown): [GraphDef, State];
/** `[graphdef, state]` of the leaves matching `filter`; a leaf it does not match is an error (end with `nnx.Everything` to catch the rest). */
export function split(node: unknown, filter: Filter): [GraphDef, State];
/** `[graphdef, ...states]`, one State per filter; each leaf goes to the first filter it matches, and a leaf no filter matches is an error. */
export function split(node: unknown, first: Filter, second: Filter, ...rest: Filter[]): [GraphDef, State, State, ...State[]];
export function split(node: unknown, ...filters: Filter[]): SplitResult {
  const { graphdef, leaves } = flattenGraph(node);
  if (filters.length === 0) return [graphdef, fromFlatState(leaves)];
  const groups = partitionFlat(leaves, filters, true).map(fromFlatState);
  return [graphdef, ...groups] as SplitResult;
}

/** The node's state, or with filters the matching leaves (several filters: one State each; leftovers dropped). */
export function state(node: unknown): State;
/** The node's leaves that match `filter` (Flax's `nnx.state(node, filter)`), e.g. `nnx.state(model, nnx.Param)`. */
export function state(node: unknown, filter: Filter): State;
/** One State per filter; each leaf goes to the first filter it matches, leaves no filter matches are left out. */
export function state(node: unknown, first: Filter, second: Filter, ...rest: Filter[]): State[];
export function state(node: unknown, ...filters: Filter[]): State | State[] {
  const { leaves } = flattenGraph(node);
  if (filters.length === 0) return fromFlatState(leaves);
  const groups = partitionFlat(leaves, filters, false).map(fromFlatState);
  return groups.length === 1 ? groups[0]! : groups;
}

/**
 * The static part of a node: its structure, classes and static attributes, without the state
 * (Flax's `nnx.graphdef`); the same graphdef `nnx.split` returns.
 *
 * @example
 * const def = nnx.graphdef(model);
 * const copy = nnx.merge(def, nnx.state(model));
 */
export function graphdef(node: unknown): GraphDef {
  return flattenGraph(node).graphdef;
}

/**
 * Every node and Variable (once each) and every raw array leaf, with its path,
 * parents before children.
 */
export function* iterGraph(root: unknown): Generator<[TreePath, unknown]> {
  const seen = new Set<unknown>();
  function* visit(value: unknown, path: TreeKey[]): Generator<[TreePath, unknown]> {
    if ((typeof value === "object" || typeof value === "function") && value !== null) {
      if (seen.has(value)) return;
      seen.add(value);
    }
    if (value instanceof Variable || isArrayLeaf(value)) {
      yield [path, value];
      return;
    }
    if (!isGraphNode(value)) return;
    yield [path, value];
    const entries = nodeEntries(value).sort((a, b) => compareKeys(a[0], b[0]));
    for (const [key, child] of entries) yield* visit(child, [...path, key]);
  }
  if (!isGraphNode(root)) throw new Error(`iterGraph: expected a graph node, got ${describeLeaf(root)}`);
  yield* visit(root, []);
}

/**
 * A deep copy: new nodes and new Variables (holding new references to the
 * same immutable arrays), sharing kept within the copy.
 */
export function clone<T>(node: T): T {
  const [def, s] = split(node);
  return merge<T>(def, s.map((_path, leaf) => (leaf instanceof Variable ? leaf.withValue(leaf.value) : leaf)));
}

/**
 * Write state into a live graph: each Variable at a path takes the new value
 * (from a Variable: a new reference to its array, and its metadata; from a
 * raw value, which is moved in). A path the graph lacks may only receive a
 * Variable (added as a copy, for model surgery); anything else, or a shape or
 * dtype change, is an error. Everything is checked before anything is written.
 */
export function update(node: unknown, ...updates: (State | PureDict)[]): void {
  if (updates.length === 0) throw new Error("update: give at least one State or pure dict");
  const { leaves } = flattenGraph(node);
  const current = new Map(leaves.map(([path, leaf]) => [pathKey(path), leaf]));
  const writes: (() => void)[] = [];
  for (const source of updates) {
    const flat = source instanceof State ? source.flatState() : flattenPureDict(source);
    for (const [path, value] of flat) {
      const target = current.get(pathKey(path)) ?? current.get(pathKey(path.map(numericKey)));
      if (target === undefined) {
        writes.push(planAddition(node, path, value));
        continue;
      }
      const next = value instanceof Variable ? value.raw : value;
      if (target instanceof Variable) {
        if (target === value) continue;
        checkCompatible(path, target.raw, next, "update");
        writes.push(() => {
          target.value = value instanceof Variable ? value.value : value;
          if (value instanceof Variable) target.metadata = { ...value.metadata };
        });
      } else {
        throw new Error(`update: ${formatPath(path)} is a raw array attribute, not a Variable; assign it directly`);
      }
    }
  }
  for (const write of writes) write();
}

function numericKey(key: TreeKey): TreeKey {
  return typeof key === "string" && /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
}

function flattenPureDict(dict: PureDict): FlatState {
  const out: FlatState = [];
  const walk = (value: unknown, path: TreeKey[]) => {
    if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    else out.push([path, value]);
  };
  walk(dict, []);
  return out;
}

/** Adding a new Variable under an existing node: checked now, applied with the other writes. */
function planAddition(root: unknown, path: TreePath, value: unknown): () => void {
  if (!(value instanceof Variable)) {
    throw new Error(`update: the graph has no Variable at ${formatPath(path)} (and only a Variable can be added there, got ${describeLeaf(value)})`);
  }
  let parent: unknown = root;
  path.slice(0, -1).forEach((key, i) => {
    parent = isGraphNode(parent) ? (parent as Record<TreeKey, unknown>)[key] : undefined;
    if (parent === undefined) throw new Error(`update: the graph has nothing at ${formatPath(path.slice(0, i + 1))} to add ${formatPath(path)} under`);
  });
  if (!isGraphNode(parent)) throw new Error(`update: ${formatPath(path.slice(0, -1))} is not a node; cannot add ${formatPath(path)}`);
  const key = path[path.length - 1]!;
  return () => {
    (parent as Record<TreeKey, unknown>)[key] = value.withValue(value.value);
  };
}
