/**
 * Turns completion entries (TypeScript 6's language service's for names in
 * scope, tsgo's for members after a dot; see notebook-types.ts) into a
 * Jupyter `complete_reply`: which names match what was typed, in which order,
 * and the `_jupyter_types_experimental` metadata JupyterLab and nteract read
 * (one entry per match, in the same order, since JupyterLab pairs them by
 * index).
 *
 * Order: the name typed in full first, then the others that start with the
 * typed prefix (as written: JupyterLab filters case-sensitively too), by
 * TypeScript's own ranking, which puts the cell's locals and the notebook's
 * names before globals and keywords. The `type` of an entry is the kind of
 * thing it is, in the words the frontends draw icons for (`function`,
 * `class`, `instance`, ...); its TypeScript type, unqualified
 * (`Param<Array>`), goes in `signature`, where IPython sends a function's
 * parameters.
 */
import type ts from "typescript";
import { SymbolFlags, type Checker, type Symbol as TsgoSymbol } from "typescript-native/unstable/sync";

export interface JupyterCompletionType {
  start: number;
  end: number;
  text: string;
  type: string;
  signature: string;
}

/** A match as the kernel replies with it: its text, its icon kind, its TypeScript type (or ""). */
export type Completion = Omit<JupyterCompletionType, "start" | "end">;

/** What ranking reads of a completion entry, in TypeScript 6's and tsgo's entries alike. */
interface RankedEntry {
  name: string;
  sortText?: string | undefined;
}

/** How many of the best completions get their type (each costs a look-up by the checker). */
export const DESCRIBED_COMPLETIONS = 30;

/** Matching entries for `prefix`, best first, without duplicates or the kernel's own `__tsnnx` helpers. */
export function rankCompletions<T extends RankedEntry>(entries: readonly T[], prefix: string): T[] {
  const typedInFull = (e: T): number => (e.name === prefix ? 0 : 1);
  const seen = new Set<string>();
  return entries
    .filter((e) => e.name.startsWith(prefix) && !e.name.startsWith("__tsnnx"))
    .sort((a, b) => typedInFull(a) - typedInFull(b) || (a.sortText ?? "").localeCompare(b.sortText ?? "") || a.name.localeCompare(b.name))
    .filter((e) => !seen.has(e.name) && seen.add(e.name));
}

/**
 * Whether an entry is worth its type: the notebook's names and members
 * of a value (few, and what the user asks about); the hundreds of globals and
 * keywords a bare prefix matches would cost more than the reply's budget.
 */
export function describesItself(entry: RankedEntry): boolean {
  return (entry.sortText ?? "") < GLOBALS_OR_KEYWORDS;
}

/**
 * The types of tsgo's `symbols` (aliases resolved) as completion shows them,
 * unqualified and whole, in few round trips: one for all value types.
 */
export function typeSignatures(checker: Checker, symbols: readonly TsgoSymbol[]): Map<TsgoSymbol, string> {
  const values = symbols.filter((symbol) => symbol.flags & SymbolFlags.Value);
  const valueTypes = new Map(values.length === 0 ? [] : checker.getTypeOfSymbol(values).map((type, i) => [values[i]!, type]));
  return new Map(
    symbols.map((symbol) => {
      const type = valueTypes.has(symbol) ? valueTypes.get(symbol) : checker.getDeclaredTypeOfSymbol(symbol);
      return [symbol, type ? checker.typeToString(type, undefined, NO_TRUNCATION) : ""];
    }),
  );
}

/** TypeScript's `TypeFormatFlags.NoTruncation` (tsgo's API does not export the enum). */
const NO_TRUNCATION = 1;

/** TypeScript's `SortText.GlobalsOrKeywords`: what sorts at or after it is a global, a keyword or an auto-import. */
const GLOBALS_OR_KEYWORDS = "15";

/**
 * The icon kind for a TypeScript `ScriptElementKind`. A notebook name reaches
 * the completion input through an import, so TypeScript calls it an `alias`;
 * the flags of the symbol it names say what it is.
 */
export function jupyterKind(kind: string, aliased: number): string {
  return kind === "alias" && aliased !== SymbolFlags.None ? symbolKind(aliased) : (KINDS[kind] ?? kind);
}

/**
 * The icon kind for a symbol's flags (TypeScript 6 and tsgo number them
 * alike); an alias not resolved is named as TypeScript names it, a module.
 */
export function symbolKind(flags: number): string {
  if (flags & (SymbolFlags.Function | SymbolFlags.Method)) return "function";
  if (flags & (SymbolFlags.Class | SymbolFlags.Interface | SymbolFlags.TypeAlias | SymbolFlags.Enum | SymbolFlags.TypeParameter)) return "class";
  if (flags & (SymbolFlags.ValueModule | SymbolFlags.NamespaceModule | SymbolFlags.Alias)) return "module";
  if (flags & (SymbolFlags.Property | SymbolFlags.Accessor | SymbolFlags.EnumMember)) return "property";
  return "instance";
}

const KINDS: Record<string, string> = {
  function: "function",
  "local function": "function",
  method: "function",
  constructor: "function",
  call: "function",
  class: "class",
  "local class": "class",
  interface: "class",
  type: "class",
  enum: "class",
  "type parameter": "class",
  module: "module",
  namespace: "module",
  "external module name": "module",
  alias: "module",
  keyword: "keyword",
  primitive: "keyword",
  var: "instance",
  let: "instance",
  const: "instance",
  "local var": "instance",
  using: "instance",
  "await using": "instance",
  parameter: "param",
  property: "property",
  getter: "property",
  setter: "property",
  "enum member": "property",
  accessor: "property",
  directory: "path",
  script: "path",
  string: "text",
};
