/**
 * Filters select state leaves (Flax's `filterlib`): a Variable class, a string
 * tag, a predicate `(path, value) => boolean`, the combinators `Any`, `All`,
 * `Not`, `PathContains`, and `Everything` (Python's `...`) / `Nothing`.
 */
import type { TreePath } from "../runtime/pytree.js";
import { formatPaths } from "./paths.js";
import { Variable, isVariableClass, type VariableClass } from "./variablelib.js";

/** A filter as a function of a leaf's path and value (a Variable or a raw array). */
export type Predicate = (path: TreePath, value: unknown) => boolean;

/** Matches every leaf; in a list of filters it may only come last (Python's `...`). */
export const Everything: unique symbol = Symbol.for("tsnnx.nnx.Everything");
/** Matches nothing. */
export const Nothing: unique symbol = Symbol.for("tsnnx.nnx.Nothing");

/**
 * What selects state leaves (Flax's filters): a Variable class (`nnx.Param`, subclasses included),
 * a string (a Variable's `metadata.tag` or class name), a predicate `(path, value) => boolean`,
 * `true` / `false`, `nnx.Everything` or `nnx.Nothing`; combine them with `nnx.Any`, `nnx.All`, `nnx.Not`.
 */
export type Filter = VariableClass | string | Predicate | boolean | typeof Everything | typeof Nothing;

/** A predicate that knows how to describe itself in error messages. */
interface NamedPredicate extends Predicate {
  description: string;
}

function named(description: string, predicate: Predicate): NamedPredicate {
  return Object.assign(predicate, { description });
}

/** Leaves that are instances of `type` (Flax's `OfType`). */
export function OfType(type: VariableClass): Predicate {
  return named(`OfType(${type.name})`, (_path, value) => value instanceof type);
}

/** Variables whose `metadata.tag` is `tag`, or whose class is named `tag` (what a string filter means). */
export function WithTag(tag: string): Predicate {
  return named(JSON.stringify(tag), (_path, value) => {
    if (!(value instanceof Variable)) return false;
    return value.metadata.tag === tag || value.constructor.name === tag;
  });
}

/** Leaves whose path contains `key` as one of its parts. */
export function PathContains(key: string | number): Predicate {
  return named(`PathContains(${JSON.stringify(key)})`, (path) => path.some((part) => part === key));
}

/**
 * A filter matching leaves that match any of `filters` (Flax's `nnx.Any`).
 *
 * @example
 * const state = nnx.state(model, nnx.Any(nnx.Param, nnx.BatchStat));
 */
export function Any(...filters: Filter[]): Predicate {
  const predicates = filters.map(toPredicate);
  return named(`Any(${filters.map(describeFilter).join(", ")})`, (path, value) => predicates.some((p) => p(path, value)));
}

/**
 * A filter matching leaves that match every one of `filters` (Flax's `nnx.All`).
 *
 * @example
 * const kernels = nnx.state(model, nnx.All(nnx.Param, nnx.PathContains("kernel")));
 */
export function All(...filters: Filter[]): Predicate {
  const predicates = filters.map(toPredicate);
  return named(`All(${filters.map(describeFilter).join(", ")})`, (path, value) => predicates.every((p) => p(path, value)));
}

/**
 * A filter matching leaves that `filter` does not match (Flax's `nnx.Not`).
 *
 * @example
 * const [graphdef, params, rest] = nnx.split(model, nnx.Param, nnx.Not(nnx.Param));
 */
export function Not(filter: Filter): Predicate {
  const predicate = toPredicate(filter);
  return named(`Not(${describeFilter(filter)})`, (path, value) => !predicate(path, value));
}

export function toPredicate(filter: Filter): Predicate {
  if (filter === Everything || filter === true) return () => true;
  if (filter === Nothing || filter === false) return () => false;
  if (typeof filter === "string") return WithTag(filter);
  if (isVariableClass(filter)) return OfType(filter);
  if (typeof filter === "function") return filter as Predicate;
  throw new Error(`not a filter: ${String(filter)} (use a Variable class, a string tag, a predicate, nnx.Everything or nnx.Nothing)`);
}

export function describeFilter(filter: Filter): string {
  if (filter === Everything) return "Everything";
  if (filter === Nothing) return "Nothing";
  if (typeof filter === "string") return JSON.stringify(filter);
  if (typeof filter === "boolean") return String(filter);
  if (isVariableClass(filter)) return filter.name;
  const description = (filter as Partial<NamedPredicate>).description;
  return description ?? (filter.name ? `<predicate ${filter.name}>` : "<predicate>");
}

/** `Everything` anywhere but last would hide the filters after it. */
export function checkFilterOrder(filters: readonly Filter[]): void {
  const at = filters.findIndex((f) => f === Everything || f === true);
  if (at !== -1 && at !== filters.length - 1) {
    throw new Error(`nnx.Everything can only be the last filter, but it is filter ${at + 1} of ${filters.length}`);
  }
}

export type FlatEntry<L = unknown> = readonly [TreePath, L];

/**
 * Sort leaves into one group per filter: each leaf goes to the first filter
 * it matches. `exhaustive` (split) makes a leaf no filter matches an error
 * naming the leftovers; otherwise (state, filter) leftovers are dropped.
 */
export function partitionFlat<L>(flat: readonly FlatEntry<L>[], filters: readonly Filter[], exhaustive: boolean): FlatEntry<L>[][] {
  checkFilterOrder(filters);
  const predicates = filters.map(toPredicate);
  const groups: FlatEntry<L>[][] = filters.map(() => []);
  const leftovers: TreePath[] = [];
  for (const entry of flat) {
    const at = predicates.findIndex((p) => p(entry[0], entry[1]));
    if (at === -1) leftovers.push(entry[0]);
    else groups[at]!.push(entry);
  }
  if (exhaustive && leftovers.length > 0) {
    throw new Error(
      `the filters [${filters.map(describeFilter).join(", ")}] leave ${leftovers.length} state ` +
        `leaf/leaves unmatched: ${formatPaths(leftovers)}. Add a filter for them, or nnx.Everything last.`,
    );
  }
  return groups;
}
