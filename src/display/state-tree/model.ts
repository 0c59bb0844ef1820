/**
 * The state tree's model: any displayable value (Module, State, abstract
 * State, Variable, Optimizer, GraphDef, jax-js Array, or plain objects and
 * arrays of those) walked once into one tree of typed nodes, with element
 * counts and bytes per Variable kind summed for every subtree. The HTML,
 * text and JSON renderers all read this tree, so they cannot disagree.
 *
 * Objects met twice (a shared submodule, a tied Variable) are counted once,
 * at their first path in walk order, and the second occurrence becomes a
 * `shared` node that names that path, as `nnx.split` keeps them once.
 * Arrays are borrowed, never consumed: stats.ts reads them through `.ref`.
 */
import type * as jax from "@jax-js/jax";
import { isPlainObject, pytreeNode, type TreeKey, type TreePath } from "../../runtime/pytree.js";
import { ShapeDtypeStruct } from "../../runtime/shape-dtype.js";
import { describeLeaf, isDisposed, isJaxArray } from "../../nnx/arrays.js";
import { GraphDef, isGraphNode, type AttrDef, type NodeDef } from "../../nnx/graph.js";
import { Module } from "../../nnx/module.js";
import { Pytree } from "../../nnx/pytreelib.js";
import { State } from "../../nnx/statelib.js";
import { Variable } from "../../nnx/variablelib.js";

/** Elements and bytes of one Variable kind (`Param`, `BatchStat`, `Array` for raw array leaves). */
export interface KindTotal {
  count: number;
  bytes: number;
}
/** Per kind, in the order kinds were first met. */
export type Totals = Map<string, KindTotal>;

/** What an array leaf is: real data on a device, a shape only (evalShape), or an array already freed. */
export type ArrayInfo =
  | { readonly state: "concrete"; readonly shape: readonly number[]; readonly dtype: string; readonly device: string; readonly array: jax.Array }
  | { readonly state: "abstract"; readonly shape: readonly number[]; readonly dtype: string }
  | { readonly state: "disposed"; readonly shape: readonly number[]; readonly dtype: string };

interface Base {
  readonly key: TreeKey | null;
  readonly path: TreePath;
}

/** `module` (an nnx.Module), `pytree` (other graph nodes: Optimizer, Rngs), `state`, `list`, `dict`, `graphdef`. */
export type Container = "module" | "pytree" | "state" | "list" | "dict" | "graphdef";

export type TreeNode =
  | (Base & { readonly kind: "node"; readonly container: Container; readonly typeName: string; readonly children: TreeNode[]; readonly totals: Totals; readonly leafCount: number })
  /** A Variable (its kind is the class name) holding an array, or another value in `other`. */
  | (Base & { readonly kind: "variable"; readonly variableType: string; readonly array: ArrayInfo | null; readonly other: string | null; readonly totals: Totals })
  /** A raw array leaf outside any Variable. */
  | (Base & { readonly kind: "array"; readonly array: ArrayInfo; readonly totals: Totals })
  /** A static attribute (a number, a string, a function, null), shown by its short description. */
  | (Base & { readonly kind: "static"; readonly text: string })
  /** A GraphDef's Variable slot: its kind, the value lives in the State. */
  | (Base & { readonly kind: "slot"; readonly variableType: string | null })
  /** The second occurrence of a node or Variable: where it was first met. */
  | (Base & { readonly kind: "shared"; readonly typeName: string; readonly firstPath: TreePath });

export const RAW_ARRAY_KIND = "Array";

const DTYPE_BYTES: Record<string, number> = {
  float64: 8, int64: 8, uint64: 8,
  float32: 4, int32: 4, uint32: 4,
  float16: 2, bfloat16: 2, int16: 2, uint16: 2,
  int8: 1, uint8: 1, bool: 1,
};

export function dtypeBytes(dtype: string): number {
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) throw new Error(`stateTree: unknown dtype ${JSON.stringify(dtype)} (cannot count its bytes)`);
  return bytes;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Add `from` into `into`, kind by kind. */
export function addTotals(into: Totals, from: Totals): void {
  for (const [kind, t] of from) {
    const mine = into.get(kind);
    if (mine) {
      mine.count += t.count;
      mine.bytes += t.bytes;
    } else into.set(kind, { count: t.count, bytes: t.bytes });
  }
}

export function grandTotal(totals: Totals): KindTotal {
  let count = 0;
  let bytes = 0;
  for (const t of totals.values()) {
    count += t.count;
    bytes += t.bytes;
  }
  return { count, bytes };
}

function arrayInfo(value: unknown): ArrayInfo | null {
  if (value instanceof ShapeDtypeStruct) return { state: "abstract", shape: value.shape, dtype: value.dtype };
  if (!isJaxArray(value)) return null;
  if (isDisposed(value)) return { state: "disposed", shape: value.shape, dtype: value.dtype };
  return { state: "concrete", shape: value.shape, dtype: value.dtype, device: String((value as { device?: unknown }).device ?? "?"), array: value };
}

function leafTotals(kind: string, info: ArrayInfo | null): Totals {
  if (!info) return new Map();
  return new Map([[kind, { count: sizeOf(info.shape), bytes: sizeOf(info.shape) * dtypeBytes(info.dtype) }]]);
}

/** The tree of `value`; an error naming the value when it is nothing stateTree can show. */
export function buildTree(value: unknown): TreeNode {
  if (value instanceof GraphDef) return graphDefTree(value);
  const firstSeen = new Map<object, TreePath>();
  const walk = (v: unknown, key: TreeKey | null, path: TreePath): TreeNode => {
    const identity = typeof v === "object" && v !== null && !(v instanceof ShapeDtypeStruct) ? v : null;
    if (identity) {
      const first = firstSeen.get(identity);
      if (first) return { kind: "shared", key, path, typeName: typeNameOf(v), firstPath: first };
      firstSeen.set(identity, path);
    }
    if (v instanceof Variable) {
      const raw = rawOf(v);
      const info = arrayInfo(raw);
      const variableType = v.constructor.name;
      return { kind: "variable", key, path, variableType, array: info, other: info ? null : describeLeaf(raw), totals: leafTotals(variableType, info) };
    }
    const info = arrayInfo(v);
    if (info) return { kind: "array", key, path, array: info, totals: leafTotals(RAW_ARRAY_KIND, info) };
    const entries = containerEntries(v);
    if (!entries) return { kind: "static", key, path, text: describeLeaf(v) };
    const children = entries.entries.map(([k, child]) => walk(child, k, [...path, k]));
    const totals: Totals = new Map();
    let leafCount = 0;
    for (const child of children) {
      if ("totals" in child) addTotals(totals, child.totals);
      leafCount += child.kind === "node" ? child.leafCount : child.kind === "variable" || child.kind === "array" ? 1 : 0;
    }
    return { kind: "node", key, path, container: entries.container, typeName: entries.typeName, children, totals, leafCount };
  };
  const root = walk(value, null, []);
  if (root.kind === "static") {
    throw new Error(
      `stateTree: cannot show ${describeLeaf(value)}: expected a Module, State, Variable, Optimizer, GraphDef, jax-js Array, or a plain object / array of those`,
    );
  }
  return root;
}

/** A Variable's value, borrowed through the tree protocol: unlike `raw`, a freed array is shown as such instead of throwing. */
function rawOf(v: Variable<unknown>): unknown {
  return v[pytreeNode]().children[0]![1];
}

function containerEntries(v: unknown): { container: Container; typeName: string; entries: [TreeKey, unknown][] } | null {
  if (v instanceof State) return { container: "state", typeName: "State", entries: v.entries() };
  if (v instanceof Pytree) {
    return { container: v instanceof Module ? "module" : "pytree", typeName: typeNameOf(v), entries: Object.keys(v).map((k) => [k, (v as unknown as Record<string, unknown>)[k]]) };
  }
  if (Array.isArray(v) && (v.length === 0 || isGraphNode(v))) return { container: "list", typeName: "list", entries: v.map((c, i) => [i, c]) };
  if (isPlainObject(v) && (Object.keys(v).length === 0 || isGraphNode(v))) return { container: "dict", typeName: "dict", entries: Object.entries(v) };
  return null;
}

function typeNameOf(v: unknown): string {
  if (Array.isArray(v)) return "list";
  if (isPlainObject(v)) return "dict";
  return (v as { constructor?: { name?: string } })?.constructor?.name || "object";
}

/** A GraphDef's structure: node types, static attributes, Variable slots; no data, so no totals. */
function graphDefTree(def: GraphDef): TreeNode {
  const pathOfIndex = new Map<number, TreePath>();
  const attr = (a: AttrDef, key: TreeKey, path: TreePath): TreeNode => {
    switch (a.kind) {
      case "static": return { kind: "static", key, path, text: describeLeaf(a.value) };
      case "node": return node(a.node, key, path);
      case "variable":
        pathOfIndex.set(a.index, path);
        return { kind: "slot", key, path, variableType: a.type.name };
      case "leaf": return { kind: "slot", key, path, variableType: null };
      case "ref": return { kind: "shared", key, path, typeName: "", firstPath: pathOfIndex.get(a.index) ?? [] };
    }
  };
  const node = (d: NodeDef, key: TreeKey | null, path: TreePath): TreeNode => {
    pathOfIndex.set(d.index, path);
    const entries: [TreeKey, AttrDef][] = d.kind === "list" ? d.items.map((a, i) => [i, a]) : d.attributes.map(([k, a]) => [k, a]);
    const children = entries.map(([k, a]) => attr(a, k, [...path, k]));
    const typeName = d.kind === "pytree" ? d.type.name : d.kind;
    return { kind: "node", key, path, container: d.kind === "pytree" ? "module" : d.kind, typeName, children, totals: new Map(), leafCount: 0 };
  };
  const root = node(def.root, null, []);
  return root.kind === "node" ? { ...root, container: "graphdef", typeName: `GraphDef[${root.typeName}]` } : root;
}

/**
 * The rows shown in full when at most `maxNodes` rows are drawn: preorder,
 * a node's data children while the budget lasts, then its line of static
 * attributes. Every renderer cuts the tree where this says.
 */
export function rowsWithin(root: TreeNode, maxNodes: number): Set<TreeNode> {
  const shown = new Set<TreeNode>();
  let rows = 0;
  const walk = (node: TreeNode): void => {
    rows++;
    shown.add(node);
    if (node.kind !== "node") return;
    let statics = false;
    for (const child of node.children) {
      if (child.kind === "static") statics = true;
      else if (rows < maxNodes) walk(child);
    }
    if (statics) rows++;
  };
  walk(root);
  return shown;
}
