/**
 * Completion of a name in scope (`Ma` + Tab) answered by tsgo, at the top
 * level of a cell. tsgo's API refuses these requests (they might need
 * auto-imports), and in TypeScript 6 each new text is a new program and
 * checker, after which it builds an entry for each of the ~1,000 globals:
 * slower than tslab. But the names a completion offers are of two kinds:
 *
 * - the globals and keywords, the same at every top-level position of any
 *   cell until something global changes (the caller asks TypeScript 6 for
 *   them once, see `NotebookTypes.globalCompletions`);
 * - the names declared in the input file, which are the cell's own and the
 *   notebook's names it imports. Each is an identifier of the cell or a
 *   notebook name the input imports, so those that start with the prefix
 *   are the candidates, and tsgo's `resolveName` at the cursor says which of
 *   them is in scope there and what it is.
 *
 * Inside a function (its keywords and `arguments` differ), in a type, a
 * parameter, a declaration's name or any other place, `scopeSite` returns
 * null and the language service answers. The tests hold the answers to
 * TypeScript 6's.
 */
import type ts from "typescript";
import { SymbolFlags, type Project, type Symbol as TsgoSymbol } from "typescript-native/unstable/sync";
import { DESCRIBED_COMPLETIONS, describesItself, rankCompletions, symbolKind, typeSignatures, type Completion } from "./completion.js";
import { identifierAt, namesSomething } from "./inspection.js";

/** A completion that needs no checker to describe: a global or a keyword. */
export interface GlobalCompletion extends Completion {
  sortText: string;
}

/** Where a name in scope is completed: the word's start, and the names that may complete it. */
export interface ScopeSite {
  start: number;
  candidates: string[];
}

/**
 * The word `prefix` ending at `cursor` in `file` (parsed with parent links)
 * if it is a value at the cell's top level: `candidates` are the names the
 * input file may declare (`names`: the cell's identifiers and the notebook
 * names it imports) that start with `prefix`, but not the variable whose
 * initializer the word is in (TypeScript leaves it out). Null elsewhere, or
 * when there are more than MAX_CANDIDATES (each costs a round trip).
 */
export function scopeSite(tsApi: typeof ts, file: ts.SourceFile, cursor: number, prefix: string, names: ReadonlySet<string>): ScopeSite | null {
  if (prefix === "") return null;
  const start = cursor - prefix.length;
  const word = identifierAt(tsApi, file, start);
  if (!word || word.getStart(file) !== start || word.end !== cursor || namesSomething(tsApi, word.parent, word)) return null;
  // Right after `{`, TypeScript also offers the names as an object literal's keys.
  if (file.text.slice(0, start).trimEnd().endsWith("{")) return null;
  let initialized: string | null = null;
  for (let node: ts.Node = word.parent; !tsApi.isSourceFile(node); node = node.parent) {
    // In a block the cell leaves open, the input's imports fall into the block too: the language service answers as it can.
    if (notTopLevelValue(tsApi, node) || (tsApi.isBlock(node) && file.text[node.end - 1] !== "}")) return null;
    if (tsApi.isVariableDeclaration(node) && initialized === null) {
      if (!tsApi.isIdentifier(node.name)) return null;
      initialized = node.name.text;
    }
  }
  const candidates = [...names].filter((name) => name.startsWith(prefix) && name !== initialized);
  return candidates.length > MAX_CANDIDATES ? null : { start, candidates };
}

/** Places whose names in scope or keywords differ from the cell's top level, or that complete something else than a value. */
function notTopLevelValue(tsApi: typeof ts, node: ts.Node): boolean {
  return (
    tsApi.isFunctionLike(node) ||
    tsApi.isClassLike(node) ||
    tsApi.isTypeNode(node) ||
    tsApi.isParameter(node) ||
    tsApi.isTypeParameterDeclaration(node) ||
    tsApi.isObjectBindingPattern(node) ||
    tsApi.isArrayBindingPattern(node) ||
    tsApi.isPropertyAccessExpression(node) ||
    tsApi.isDecorator(node) ||
    tsApi.isModuleDeclaration(node) ||
    tsApi.isEnumDeclaration(node) ||
    tsApi.isImportDeclaration(node) ||
    tsApi.isExportDeclaration(node) ||
    tsApi.isExportAssignment(node) ||
    tsApi.isLabeledStatement(node) ||
    tsApi.isBreakOrContinueStatement(node) ||
    tsApi.isShorthandPropertyAssignment(node)
  );
}

/**
 * The completions at `site` in `file`: the candidates in scope there that
 * are values (TypeScript offers no type in a value's place), ranked with
 * `globals`, the first DESCRIBED_COMPLETIONS worth it with their types.
 */
export function scopeCompletionsFromTsgo(project: Project, file: string, site: ScopeSite, globals: readonly GlobalCompletion[], prefix: string): Completion[] {
  const { checker } = project;
  const declared = new Map<string, TsgoSymbol>();
  for (const name of site.candidates) {
    const symbol = checker.resolveName(name, IN_SCOPE, { document: file, position: site.start }, true);
    const target = symbol && symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (symbol && target && (symbol.flags | target.flags) & SymbolFlags.Value) declared.set(name, target);
  }
  // Declared in the input file, they rank where TypeScript ranks them: `SortText.LocationPriority`.
  const locals = [...declared.keys()].map((name) => ({ name, sortText: LOCATION_PRIORITY, global: null }));
  const ranked = rankCompletions([...locals, ...globals.map((global) => ({ name: global.text, sortText: global.sortText, global }))], prefix);
  const signatures = typeSignatures(checker, ranked.slice(0, DESCRIBED_COMPLETIONS).filter(describesItself).map((entry) => declared.get(entry.name)!));
  return ranked.map(({ name, global }) => {
    if (global) return { text: name, type: global.type, signature: "" };
    const symbol = declared.get(name)!;
    return { text: name, type: symbolKind(symbol.flags), signature: signatures.get(symbol) ?? "" };
  });
}

/** More candidates than this cost more round trips than the language service costs time. */
const MAX_CANDIDATES = 40;
/** What completion looks for in scope: `SymbolFlags.Value | Type | Namespace | Alias`. */
const IN_SCOPE = SymbolFlags.Value | SymbolFlags.Type | SymbolFlags.Namespace | SymbolFlags.Alias;
/** TypeScript's `SortText.LocationPriority`: a name declared in the file completed in. */
const LOCATION_PRIORITY = "11";
