/**
 * Inspection (Shift+Tab) answered by tsgo, for the things users inspect most:
 * a member after a dot (`Math.max`, `model.linear1`, `Shapes.area`) and a
 * notebook name (`stepCount`, `train`, `Tiny`), as TypeScript's quick info
 * shows them. tsgo's API has no quick info; it has the symbol at a position,
 * its type, its doc comment and tags, and `typeToString` relative to the
 * input file, which qualifies names as quick info does (`NodeJS.ProcessEnv`,
 * `jax.Array`). In TypeScript 6 any new input text is a new program and
 * checker (10 ms after a long notebook); tsgo keeps the notebook's program
 * and answers in about 2 (in one process, after 100 cells).
 *
 * Quick info has many more shapes (overloads, generic calls, constructors,
 * enum members, object types on several lines, a module's variables), and
 * a near miss would show the user something TypeScript never says. So the
 * description is built only where the rules below are TypeScript's own
 * (services/symbolDisplay.ts) for that shape; everywhere else it
 * returns null and the language service answers, as before. The tests hold
 * each shape built here to the language service's text.
 */
import type ts from "typescript";
import type { Node } from "typescript-native/unstable/ast";
import { SymbolFlags, type Checker, type Project, type Symbol as TsgoSymbol, type Type } from "typescript-native/unstable/sync";
import type { DeclarationKind } from "./declarations.js";

export interface QuickInfo {
  signature: string;
  documentation: string;
}

/** How the inspected name is used: called (`f(1)`), not called, or in another call-like way (`new`, a tag, a decorator). */
type Use = "called" | "named" | "other";

/** What the cursor is on, read from the input's syntax alone (positions in the input file). */
export type InspectionSite =
  /** The name after a dot; `receiver`: where the name that ends the expression before the dot starts, if it ends with one. */
  | { kind: "member"; start: number; use: Use; receiver: number | null }
  /** An identifier on its own, as an expression or a type. */
  | { kind: "name"; start: number; use: Use };

/** The identifier at `cursor` in `file` (parsed with parent links), or just before it as at the end of `Math.max`, and how it is used; null for anything else. */
export function inspectionSite(tsApi: typeof ts, file: ts.SourceFile, cursor: number): InspectionSite | null {
  const name = identifierAt(tsApi, file, cursor) ?? (cursor > 0 ? identifierAt(tsApi, file, cursor - 1) : undefined);
  if (!name) return null;
  const parent = name.parent;
  if (tsApi.isPropertyAccessExpression(parent) && parent.name === name) {
    const receiver = parent.expression;
    const last = tsApi.isIdentifier(receiver) ? receiver : tsApi.isPropertyAccessExpression(receiver) && tsApi.isIdentifier(receiver.name) ? receiver.name : null;
    return { kind: "member", start: name.getStart(file), use: useOf(tsApi, parent), receiver: last && last.getStart(file) };
  }
  return namesSomething(tsApi, parent, name) ? null : { kind: "name", start: name.getStart(file), use: useOf(tsApi, name) };
}

/** The identifier whose text holds `position`, if there is one. */
export function identifierAt(tsApi: typeof ts, file: ts.SourceFile, position: number): ts.Identifier | undefined {
  let node: ts.Node | undefined = file;
  while (node && !tsApi.isIdentifier(node)) {
    node = tsApi.forEachChild(node, (child) => (child.getStart(file) <= position && position < child.end ? child : undefined));
  }
  return node;
}

/** Whether `name` is where something gets its name (a declaration, an import or export, a qualified type name's part), not a use of it. */
export function namesSomething(tsApi: typeof ts, parent: ts.Node, name: ts.Identifier): boolean {
  if ((parent as { name?: ts.Node }).name === name) return true;
  return tsApi.isQualifiedName(parent) || tsApi.isImportClause(parent) || tsApi.isImportSpecifier(parent) || tsApi.isNamespaceImport(parent) || tsApi.isExportSpecifier(parent);
}

function useOf(tsApi: typeof ts, expression: ts.Expression): Use {
  const parent = expression.parent;
  if (tsApi.isCallExpression(parent) && parent.expression === expression) return "called";
  if ((tsApi.isNewExpression(parent) && parent.expression === expression) || tsApi.isTaggedTemplateExpression(parent) || tsApi.isDecorator(parent)) return "other";
  return "named";
}

/**
 * Quick info for `site` in `file` from tsgo, or null where this module does
 * not build that shape. `declaredAs`: how the notebook declared a name
 * (const, let, ...), which tsgo's symbols do not say.
 */
export function quickInfoFromTsgo(project: Project, file: string, site: InspectionSite, declaredAs: (name: string) => DeclarationKind | undefined): QuickInfo | null {
  if (site.use === "other") return null;
  const { checker } = project;
  const symbol = checker.getSymbolAtPosition(file, site.start);
  const enclosing = symbol && project.program.getSourceFile(file);
  if (!symbol || !enclosing) return null;
  const writer = new TypeWriter(checker, enclosing, file);
  const target = symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : null;
  const shown = target ? aliasSignature(checker, writer, site, symbol, target, declaredAs) : site.kind === "member" ? memberSignature(checker, writer, site, symbol) : null;
  if (shown === null) return null;
  const documented = target ?? symbol;
  const tags = checker.getJsDocTagsOfSymbol(documented).map((tag) => `@${tag.name} ${tag.text ?? ""}`.trim());
  return { signature: shown, documentation: [checker.getDocumentationCommentOfSymbol(documented), ...tags].filter(Boolean).join("\n\n") };
}

/**
 * A notebook name or a module's export, which the input sees through an
 * import: quick info describes what it names, under the imported name
 * (the kernel drops the `import x` line and the `(alias)` it adds).
 */
function aliasSignature(
  checker: Checker,
  writer: TypeWriter,
  site: InspectionSite,
  alias: TsgoSymbol,
  target: TsgoSymbol,
  declaredAs: (name: string) => DeclarationKind | undefined,
): string | null {
  if (alias.name === "default") return null;
  const meanings = target.flags & ~SymbolFlags.Transient;
  if (meanings === SymbolFlags.Function) {
    const signature = writer.signature(checker.getTypeOfSymbol(target), site.use);
    // Called, quick info shows the call's signature; named, the declaration's (`function f(...)`).
    return signature && (site.use === "called" ? `${alias.name}${signature}` : `function ${alias.name}${signature}`);
  }
  if (site.use !== "named") return null;
  if (meanings === SymbolFlags.Class) {
    return isGeneric(checker.getDeclaredTypeOfSymbol(target)) ? null : `class ${alias.name}`;
  }
  const kind = declaredAs(alias.name);
  if (site.kind === "name" && meanings & SymbolFlags.Variable && !(meanings & ~SymbolFlags.Variable) && (kind === "const" || kind === "let" || kind === "var")) {
    // The type where it is used: narrowed, as quick info shows it.
    const type = writer.text(checker.getTypeAtPosition(writer.fileName, site.start));
    return type && `${kind} ${alias.name}: ${type}`;
  }
  return null;
}

/** A method, property or namespace function after a dot: `(method) Map<string, number>.get(key: string): number | undefined`. */
function memberSignature(checker: Checker, writer: TypeWriter, site: InspectionSite & { kind: "member" }, member: TsgoSymbol): string | null {
  if (member.flags & SymbolFlags.Optional || member.checkFlags & SYNTHETIC) return null;
  const container = containerName(checker, writer, site, member);
  if (container === null) return null;
  const meanings = member.flags & ~SymbolFlags.Transient;
  const name = `${container}${member.name}`;
  // The member's type at this use, as quick info takes it (a property narrowed, a method's `this` bound).
  const type = checker.getTypeAtPosition(writer.fileName, site.start);
  if (meanings === SymbolFlags.Method || meanings === SymbolFlags.Function) {
    const signature = writer.signature(type, site.use);
    return signature && `${meanings === SymbolFlags.Method ? "(method)" : "function"} ${name}${signature}`;
  }
  if (site.use === "named" && meanings & (SymbolFlags.Property | SymbolFlags.Accessor) && !(meanings & ~(SymbolFlags.Property | SymbolFlags.Accessor))) {
    // An accessor declared elsewhere is a property to quick info.
    const text = writer.text(type);
    return text && `(property) ${name}: ${text}`;
  }
  return null;
}

/**
 * How quick info names a member's container, with the dot: its parents up
 * to the file (`NodeJS.Process.`), none for an object literal's member, and
 * a generic container with the type arguments it has at this use
 * (`Map<string, number>.`), read from the value before the dot. Null when
 * that value is not a reference to the container (an inherited member).
 */
function containerName(checker: Checker, writer: TypeWriter, site: InspectionSite & { kind: "member" }, member: TsgoSymbol): string | null {
  const parent = member.getParent();
  if (!parent || parent.flags & (SymbolFlags.TypeLiteral | SymbolFlags.ObjectLiteral)) return "";
  if (isFile(parent)) return null;
  let name = parent.name;
  for (let outer = parent.getParent(); outer && !isFile(outer); outer = outer.getParent()) name = `${outer.name}.${name}`;
  // Quick info writes a generic container's type parameters or, for an instance's member, its arguments.
  if (!(member.checkFlags & INSTANTIATED)) return parent.flags & (SymbolFlags.Class | SymbolFlags.Interface) && isGeneric(checker.getDeclaredTypeOfSymbol(parent)) ? null : `${name}.`;
  if (site.receiver === null) return null;
  const receiver = checker.getTypeAtPosition(writer.fileName, site.receiver);
  if (!receiver?.isTypeReference()) return null;
  const generic = receiver.getTarget();
  const genericSymbol = generic.getSymbol();
  if (!genericSymbol || !sameDeclaration(genericSymbol, parent) || !generic.isClassOrInterface()) return null;
  const count = generic.getTypeParameters().length;
  if (count === 0) return `${name}.`;
  const args = checker.getTypeArguments(receiver).slice(0, count).map((type) => writer.text(type));
  if (args.length !== count || args.some((arg) => arg === null)) return null;
  return `${name}<${args.join(", ")}>.`;
}

/** Whether two symbols share a declaration (one may be the merge of an interface with its other declarations). */
function sameDeclaration(a: TsgoSymbol, b: TsgoSymbol): boolean {
  const keys = new Set(a.declarations.map((d) => `${d.index}.${d.path}`));
  return b.declarations.some((d) => keys.has(`${d.index}.${d.path}`));
}

/** A source file's symbol (a module's name is its quoted path), or a file's `declare global`: no part of a qualified name. */
function isFile(symbol: TsgoSymbol): boolean {
  return symbol.flags & SymbolFlags.ValueModule ? symbol.name.startsWith('"') || symbol.name === "__global" : false;
}

/**
 * Types as quick info writes them. It writes object types over several
 * lines and cuts long types short where `typeToString` does not; those are
 * left to the language service (null), as are functions with more than one
 * signature, and a generic function's call (quick info shows it
 * instantiated, `map<number>(...)`).
 */
class TypeWriter {
  constructor(
    private readonly checker: Checker,
    private readonly enclosing: Node,
    readonly fileName: string,
  ) {}

  text(type: Type | undefined): string | null {
    if (!type) return null;
    const text = this.checker.typeToString(type, this.enclosing, QUICK_INFO_FLAGS);
    return text.length > SHORT_TYPE || /[{}]/.test(text) ? null : text;
  }

  /** `(x: number): number` from `(x: number) => number`, for a function with one signature. */
  signature(type: Type | undefined, use: Use): string | null {
    const text = this.text(type);
    if (text === null || !(text.startsWith("(") || (text.startsWith("<") && use !== "called"))) return null;
    const arrow = topLevelArrow(text);
    return arrow < 0 ? null : `${text.slice(0, arrow)}: ${text.slice(arrow + " => ".length)}`;
  }
}

function isGeneric(type: Type): boolean {
  return type.isClassOrInterface() && type.getTypeParameters().length > 0;
}

/** Where the ` => ` of a function type's own signature is in `text` (-1: none): outside brackets and string literals. */
function topLevelArrow(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (text.startsWith(" => ", i)) {
      if (depth === 0) return i;
      i += 3;
    } else if ("([<".includes(c)) {
      depth++;
    } else if (")]>".includes(c)) {
      depth--;
    }
  }
  return -1;
}

/** TypeScript's `TypeFormatFlags`: NoTruncation | UseAliasDefinedOutsideCurrentScope, as quick info writes types (tsgo's API does not export the enum). */
const QUICK_INFO_FLAGS = 1 | 16384;
/** Quick info cuts types at 500 characters and `typeToString` at 160 unless told not to: below both, the two agree. */
const SHORT_TYPE = 160;
/** TypeScript's `CheckFlags.Instantiated`: a member of a generic type's instance. */
const INSTANTIATED = 1;
/** TypeScript's `CheckFlags.SyntheticProperty | SyntheticMethod`: a member of a union type. */
const SYNTHETIC = 2 | 4;
