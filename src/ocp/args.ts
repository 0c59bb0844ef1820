/**
 * `ocp.args`: what to save or restore, as Orbax's `ocp.args.*` spell it.
 * Each is a plain tagged value built by a function of the same name.
 */
import type { RestoreOptions } from "./restore-plan.js";

export type ItemSaveArgs =
  | { kind: "StandardSave"; item: unknown }
  | { kind: "PyTreeSave"; item: unknown }
  | { kind: "JsonSave"; item: unknown };

export type ItemRestoreArgs =
  | { kind: "StandardRestore"; template?: unknown; options: RestoreOptions }
  | { kind: "PyTreeRestore"; template?: unknown; options: RestoreOptions }
  | { kind: "JsonRestore" };

export interface CompositeArgs<A> {
  kind: "Composite";
  items: Record<string, A>;
}

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
export function StandardRestore(template?: unknown, options: Pick<RestoreOptions, "strict"> = {}): ItemRestoreArgs {
  return { kind: "StandardRestore", template, options };
}

export function PyTreeRestore(template?: unknown, options: RestoreOptions = {}): ItemRestoreArgs {
  return { kind: "PyTreeRestore", template, options };
}

export function JsonRestore(): ItemRestoreArgs {
  return { kind: "JsonRestore" };
}

/** Several named items in one checkpoint: `Composite({ params: StandardSave(p), meta: JsonSave(m) })`. */
export function Composite<A extends ItemSaveArgs | ItemRestoreArgs>(items: Record<string, A>): CompositeArgs<A> {
  for (const [name, arg] of Object.entries(items)) {
    if (typeof arg !== "object" || arg === null || typeof (arg as { kind?: unknown }).kind !== "string") {
      throw new Error(`Composite: item "${name}" is not an ocp.args value (use ocp.args.StandardSave(...), JsonSave(...), ...)`);
    }
    if (name === "" || name.includes("/") || name.startsWith(".")) throw new Error(`Composite: "${name}" cannot be an item name (it becomes a folder name)`);
  }
  return { kind: "Composite", items };
}
