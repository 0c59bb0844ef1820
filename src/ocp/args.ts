/**
 * `ocp.args`: what to save or restore, as Orbax's `ocp.args.*` spell it.
 * Each is a plain tagged value built by a function of the same name.
 */
import type { Array as JaxArray } from "@jax-js/jax";
import type { PytreeNode } from "../runtime/pytree.js";
import type { ShapeDtypeStruct } from "../runtime/shape-dtype.js";
import type { RestoreOptions } from "./restore-plan.js";

export type ItemSaveArgs =
  | { kind: "StandardSave"; item: unknown }
  | { kind: "PyTreeSave"; item: unknown }
  | { kind: "JsonSave"; item: unknown };

export type ItemRestoreArgs =
  | { kind: "StandardRestore"; template?: unknown; options: RestoreOptions }
  | { kind: "PyTreeRestore"; template?: unknown; options: RestoreOptions }
  | { kind: "JsonRestore" };

/**
 * What restoring into a template of type T gives: arrays where the template
 * has ShapeDtypeStructs, tree nodes (nnx.State, Variables) of the template's
 * own kind, the same keys elsewhere.
 */
export type Restored<T> = T extends ShapeDtypeStruct | JaxArray
  ? JaxArray
  : T extends PytreeNode
    ? T
    : T extends object
      ? { [K in keyof T]: Restored<T[K]> }
      : T;

/** Restore args that remember their template's type, so `restore` can return `Restored<T>`. */
export type TemplateRestoreArgs<T> = ItemRestoreArgs & { readonly template?: T };

/** Several named items; `Items` keeps each item's own args type, so a restore is typed item by item. */
export interface CompositeArgs<A, Items = Record<string, A>> {
  kind: "Composite";
  items: Items;
}

/** What restoring one item gives: typed by its template; unknown for JSON or without a template. */
export type RestoredItem<A> = A extends { readonly template?: infer T } ? Restored<T> : unknown;

/** What a Composite restore gives: an object with each item restored as its args say. */
export type RestoredComposite<Items> = { [K in keyof Items]: RestoredItem<Items[K]> };

export type SaveArgs = ItemSaveArgs | CompositeArgs<ItemSaveArgs>;
export type RestoreArgs = ItemRestoreArgs | CompositeArgs<ItemRestoreArgs>;

export function StandardSave(item: unknown): ItemSaveArgs {
  return { kind: "StandardSave", item };
}

export function PyTreeSave(item: unknown): ItemSaveArgs {
  return { kind: "PyTreeSave", item };
}

/** A JSON-serializable value (Orbax's JsonSave). */
export function JsonSave(item: unknown): ItemSaveArgs {
  return { kind: "JsonSave", item };
}

/** Restore a tree; `template` (arrays or ShapeDtypeStructs) fixes structure, shapes, dtypes and devices. */
export function StandardRestore<T = unknown>(template?: T, options: Pick<RestoreOptions, "strict"> = {}): TemplateRestoreArgs<T> {
  return { kind: "StandardRestore", template, options };
}

export function PyTreeRestore<T = unknown>(template?: T, options: RestoreOptions = {}): TemplateRestoreArgs<T> {
  return { kind: "PyTreeRestore", template, options };
}

export function JsonRestore(): ItemRestoreArgs {
  return { kind: "JsonRestore" };
}

/** Several named items in one checkpoint: `Composite({ params: StandardSave(p), meta: JsonSave(m) })`. */
export function Composite<Items extends Record<string, ItemSaveArgs | ItemRestoreArgs>>(items: Items): CompositeArgs<Items[keyof Items], Items> {
  for (const [name, arg] of Object.entries(items)) {
    if (typeof arg !== "object" || arg === null || typeof (arg as { kind?: unknown }).kind !== "string") {
      throw new Error(`Composite: item "${name}" is not an ocp.args value (use ocp.args.StandardSave(...), JsonSave(...), ...)`);
    }
    if (name === "" || name.includes("/") || name.startsWith(".")) throw new Error(`Composite: "${name}" cannot be an item name (it becomes a folder name)`);
  }
  return { kind: "Composite", items };
}
