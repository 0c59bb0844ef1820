/**
 * `State`: a module's state as a nested mapping keyed by path parts (strings
 * for attributes, integers for list positions), with Variables (or raw
 * array leaves) at the leaves, as in Flax >= 0.11 (Flax's `statelib`).
 *
 * Keys keep their type: `0` (a list position) and `"0"` (an attribute named
 * "0") are different keys, as they are in Python.
 */
import { isPlainObject, pytreeNode, type PytreeChildren, type PytreeNode, type TreeKey, type TreePath } from "../runtime/pytree.js";
import { describeLeaf, isJaxArray, shapeDtypeOf } from "./arrays.js";
import { partitionFlat, type Filter, type FlatEntry } from "./filterlib.js";
import { compareKeys, formatPath } from "./paths.js";
import { Variable } from "./variablelib.js";

/** What a State holds at a leaf: normally a Variable; raw arrays for array attributes. */
export type StateLeaf = unknown;
/** A State's leaves as `[path, leaf]` pairs in key order, as `state.flatState()` gives them. */
export type FlatState = FlatEntry<StateLeaf>[];
/** A nested plain object of raw values, as `toPureDict` gives and `replaceByPureDict` takes. */
export interface PureDict {
  [key: string]: unknown;
}

/**
 * A module's state (Flax's `nnx.State`): a nested mapping from path parts to leaves,
 * as `nnx.state` and `nnx.split` return it. Keys are attribute names (strings) and list
 * positions (integers); leaves are Variables (or raw arrays for array attributes).
 * A State is a tree: `nnx.grad` returns one, and optax transformations take one.
 *
 * @example
 * const params = nnx.state(model, nnx.Param);
 * const kernel = params.at("linear1", "kernel"); // the Param
 * const flat = params.flatState(); // [[["linear1", "bias"], Param], ...]
 */
export class State implements PytreeNode<State> {
  private readonly mapping: Map<TreeKey, State | StateLeaf>;

  /** Entries are kept in Python's key order (integers, then strings). */
  constructor(entries: Iterable<readonly [TreeKey, State | StateLeaf]> = []) {
    const sorted = [...entries];
    // Most callers give keys already in order (graph traversal sorts them): check before sorting.
    if (sorted.some((entry, i) => i > 0 && compareKeys(sorted[i - 1]![0], entry[0]) > 0)) sorted.sort((a, b) => compareKeys(a[0], b[0]));
    this.mapping = new Map(sorted.map(([k, v]) => [k, v]));
    if (this.mapping.size !== sorted.length) throw new Error("State: duplicate keys");
  }

  /** The number of keys at this level (not leaves; see `leafCount`). */
  get size(): number {
    return this.mapping.size;
  }

  /** The keys at this level, in key order (integers, then strings). */
  keys(): TreeKey[] {
    return [...this.mapping.keys()];
  }

  /** `[key, subtree or leaf]` pairs at this level, in key order. */
  entries(): [TreeKey, State | StateLeaf][] {
    return [...this.mapping.entries()];
  }

  /** Whether this level has `key` (`0` and `"0"` are different keys). */
  has(key: TreeKey): boolean {
    return this.mapping.has(key);
  }

  /** The subtree or leaf under `key`; an error naming the key and the keys there are when absent. */
  get(key: TreeKey): State | StateLeaf {
    if (!this.mapping.has(key)) {
      throw new Error(`State has no key ${JSON.stringify(key)}; keys: [${this.keys().map((k) => JSON.stringify(k)).join(", ")}]`);
    }
    return this.mapping.get(key);
  }

  /** Put a subtree or leaf under `key` (Python's `state[key] = value`); key order is kept. */
  set(key: TreeKey, value: State | StateLeaf): void {
    const isNew = !this.mapping.has(key);
    this.mapping.set(key, value);
    if (isNew) {
      const sorted = [...this.mapping].sort((a, b) => compareKeys(a[0], b[0]));
      this.mapping.clear();
      for (const [k, v] of sorted) this.mapping.set(k, v);
    }
  }

  /** The subtree or leaf at a path: `state.at("linear1", "kernel")`. */
  at(...path: TreeKey[]): State | StateLeaf {
    let node: State | StateLeaf = this;
    path.forEach((key, i) => {
      if (!(node instanceof State)) throw new Error(`State path ${formatPath(path)}: ${formatPath(path.slice(0, i))} is a leaf`);
      node = node.get(key);
    });
    return node;
  }

  /** How many leaves the whole tree holds. */
  leafCount(): number {
    let n = 0;
    for (const value of this.mapping.values()) n += value instanceof State ? value.leafCount() : 1;
    return n;
  }

  /** Every leaf with its full path, in key order. */
  flatState(): FlatState {
    const out: FlatState = [];
    const walk = (state: State, prefix: TreePath) => {
      for (const [key, value] of state.mapping) {
        const path = [...prefix, key];
        if (value instanceof State) walk(value, path);
        else out.push([path, value]);
      }
    };
    walk(this, []);
    return out;
  }

  /** The leaves matching each filter (one State per filter; unmatched leaves are dropped). */
  filter(filter: Filter): State;
  filter(first: Filter, second: Filter, ...rest: Filter[]): State[];
  filter(...filters: Filter[]): State | State[] {
    if (filters.length === 0) throw new Error("State.filter needs at least one filter");
    const groups = partitionFlat(this.flatState(), filters, false).map(fromFlatState);
    return groups.length === 1 ? groups[0]! : groups;
  }

  /** Like `filter`, but every leaf must match some filter: leftovers are an error that names them. */
  split(filter: Filter): State;
  split(first: Filter, second: Filter, ...rest: Filter[]): State[];
  split(...filters: Filter[]): State | State[] {
    if (filters.length === 0) throw new Error("State.split needs at least one filter");
    const groups = partitionFlat(this.flatState(), filters, true).map(fromFlatState);
    return groups.length === 1 ? groups[0]! : groups;
  }

  /** One State with the leaves of all; a later state's leaf wins at a shared path. */
  static merge(...states: State[]): State {
    const merged = new Map<string, FlatEntry<StateLeaf>>();
    for (const state of states) for (const entry of state.flatState()) merged.set(JSON.stringify(entry[0]), entry);
    return fromFlatState([...merged.values()]);
  }

  /** A State of the same structure with `fn(path, leaf)` at each leaf. */
  map(fn: (path: TreePath, leaf: StateLeaf) => StateLeaf): State {
    return fromFlatState(this.flatState().map(([path, leaf]) => [path, fn(path, leaf)] as const));
  }

  /** The tree protocol: children in key order; rebuild keeps the keys. */
  [pytreeNode](): PytreeChildren<State> {
    return {
      children: this.entries(),
      rebuild: (children) => {
        const mine = this.keys();
        if (children.length !== mine.length || children.some(([k], i) => k !== mine[i])) {
          throw new Error(`State rebuild: keys [${children.map((c) => JSON.stringify(c[0])).join(", ")}] do not match [${mine.map((k) => JSON.stringify(k)).join(", ")}]`);
        }
        return new State(children);
      },
    };
  }

  toString(): string {
    return `State(${describeMapping(this, "")})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function describeMapping(state: State, indent: string): string {
  if (state.size === 0) return "{}";
  const inner = indent + "  ";
  const lines = state.entries().map(([key, value]) => {
    const shown = value instanceof State ? describeMapping(value, inner) : value instanceof Variable ? value.toString() : describeLeaf(value);
    return `${inner}${typeof key === "number" ? key : JSON.stringify(key)}: ${shown}`;
  });
  return `{\n${lines.join(",\n")}\n${indent}}`;
}

/** Build a State from `[path, leaf]` pairs; a path that is both a leaf and a subtree is an error. */
export function fromFlatState(flat: Iterable<FlatEntry<StateLeaf>>): State {
  interface Draft {
    children: Map<TreeKey, Draft | { leaf: StateLeaf }>;
  }
  const root: Draft = { children: new Map() };
  for (const [path, leaf] of flat) {
    if (path.length === 0) throw new Error("fromFlatState: a leaf has an empty path");
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      let child = node.children.get(key);
      if (child === undefined) node.children.set(key, (child = { children: new Map() }));
      if (!("children" in child)) throw new Error(`fromFlatState: ${formatPath(path.slice(0, i + 1))} is both a leaf and a subtree`);
      node = child;
    }
    const last = path[path.length - 1]!;
    if (node.children.has(last)) throw new Error(`fromFlatState: ${formatPath(path)} appears twice, or is both a leaf and a subtree`);
    node.children.set(last, { leaf });
  }
  const build = (draft: Draft): State =>
    new State([...draft.children].map(([k, v]) => [k, "children" in v ? build(v) : v.leaf] as const));
  return build(root);
}

/** Every leaf of `state` with its full path, in key order (Flax's `State.flat_state()`); same as `state.flatState()`. */
export function toFlatState(state: State): FlatState {
  return state.flatState();
}

/**
 * Nested plain objects of raw values (no Variables), as Python's
 * `nnx.to_pure_dict`. Integer keys become object keys ("0"). Array leaves are
 * new references the caller owns.
 */
export function toPureDict(state: State): PureDict {
  const out: PureDict = {};
  for (const [key, value] of state.entries()) {
    if (value instanceof State) out[String(key)] = toPureDict(value);
    else if (value instanceof Variable) out[String(key)] = value.value;
    else out[String(key)] = isJaxArray(value) ? value.ref : value;
  }
  return out;
}

/**
 * Put the values of a pure dict into `state` (in place), as Python's
 * `nnx.replace_by_pure_dict`: each Variable is replaced by one of the same
 * kind and metadata holding the new value. A key matches exactly first, then
 * as an integer ("0" -> list position 0). Every key and shape is checked
 * before anything is replaced; the pure dict's arrays are taken (moved).
 */
export function replaceByPureDict(state: State, pureDict: PureDict): void {
  const writes: { parent: State; key: TreeKey; leaf: StateLeaf; value: unknown }[] = [];
  const walk = (target: State, source: PureDict, prefix: TreePath) => {
    for (const [name, value] of Object.entries(source)) {
      const key = resolveKey(target, name, prefix);
      const path = [...prefix, key];
      const current = target.get(key);
      if (current instanceof State) {
        if (!isPlainObject(value)) throw new Error(`replaceByPureDict: ${formatPath(path)} is a subtree in the state but ${describeLeaf(value)} in the pure dict`);
        walk(current, value, path);
      } else {
        if (isPlainObject(value)) throw new Error(`replaceByPureDict: ${formatPath(path)} is a leaf in the state but a subtree in the pure dict`);
        checkCompatible(path, current instanceof Variable ? current.raw : current, value, "replaceByPureDict");
        writes.push({ parent: target, key, leaf: current, value });
      }
    }
  };
  walk(state, pureDict, []);
  for (const { parent, key, leaf, value } of writes) {
    parent.set(key, leaf instanceof Variable ? leaf.withValue(value) : value);
  }
}

function resolveKey(state: State, name: string, prefix: TreePath): TreeKey {
  if (state.has(name)) return name;
  if (/^(0|[1-9][0-9]*)$/.test(name) && state.has(Number(name))) return Number(name);
  throw new Error(
    `replaceByPureDict: key ${JSON.stringify(name)} at ${formatPath(prefix)} is not in the state; ` +
      `keys there: [${state.keys().map((k) => JSON.stringify(k)).join(", ")}]`,
  );
}

/**
 * A new value must have the shape and dtype of the one it replaces, when both
 * have one: the error names the path and both.
 */
export function checkCompatible(path: TreePath, current: unknown, next: unknown, what: string): void {
  const a = shapeDtypeOf(current);
  const b = shapeDtypeOf(next);
  if (!a || !b) return;
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${what}: shape mismatch at ${formatPath(path)}: the state has [${a.shape.join(",")}] (${a.dtype}), the new value [${b.shape.join(",")}] (${b.dtype})`);
  }
  if (a.dtype !== b.dtype) {
    throw new Error(`${what}: dtype mismatch at ${formatPath(path)}: the state has ${a.dtype}[${a.shape.join(",")}], the new value ${b.dtype}[${b.shape.join(",")}]`);
  }
}
