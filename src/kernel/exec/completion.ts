/**
 * Turns the language service's completion entries into a Jupyter
 * `complete_reply`: which names match what was typed, in which order, and the
 * `_jupyter_types_experimental` metadata JupyterLab and nteract read (one
 * entry per match, in the same order, since JupyterLab pairs them by index).
 *
 * Order: the name typed in full first, then the others that start with the
 * typed prefix (as written: JupyterLab filters case-sensitively too), by the
 * language service's own ranking, which puts the cell's locals and the
 * notebook's names before globals and keywords. The `type` of an entry is the kind of thing it is, in the words
 * the frontends draw icons for (`function`, `class`, `instance`, ...); its
 * TypeScript type, unqualified (`Param<Array>`), goes in `signature`, where
 * IPython sends a function's parameters.
 */
import type ts from "typescript";

export interface JupyterCompletionType {
  start: number;
  end: number;
  text: string;
  type: string;
  signature: string;
}

/** Matching entries for `prefix`, best first, without duplicates or the kernel's own `__tsnnx` helpers. */
export function rankCompletions(entries: readonly ts.CompletionEntry[], prefix: string): ts.CompletionEntry[] {
  const typedInFull = (e: ts.CompletionEntry): number => (e.name === prefix ? 0 : 1);
  const seen = new Set<string>();
  return entries
    .filter((e) => e.name.startsWith(prefix) && !e.name.startsWith("__tsnnx"))
    .sort((a, b) => typedInFull(a) - typedInFull(b) || a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name))
    .filter((e) => !seen.has(e.name) && seen.add(e.name));
}

/**
 * Whether an entry is worth its type: the notebook's names and members
 * of a value (few, and what the user asks about); the hundreds of globals and
 * keywords a bare prefix matches would cost more than the reply's budget.
 */
export function describesItself(entry: ts.CompletionEntry): boolean {
  return entry.sortText < GLOBALS_OR_KEYWORDS;
}

/** TypeScript's `SortText.GlobalsOrKeywords`: what sorts at or after it is a global, a keyword or an auto-import. */
const GLOBALS_OR_KEYWORDS = "15";

/**
 * The icon kind for a TypeScript `ScriptElementKind`. A notebook name reaches
 * the completion input through an import, so TypeScript calls it an `alias`;
 * the flags of the symbol it names say what it is.
 */
export function jupyterKind(tsApi: typeof ts, kind: string, aliased: ts.SymbolFlags): string {
  if (kind !== "alias" || aliased === tsApi.SymbolFlags.None) return KINDS[kind] ?? kind;
  const F = tsApi.SymbolFlags;
  if (aliased & (F.Function | F.Method)) return "function";
  if (aliased & (F.Class | F.Interface | F.TypeAlias | F.Enum)) return "class";
  if (aliased & (F.ValueModule | F.NamespaceModule)) return "module";
  if (aliased & F.Property) return "property";
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
