/**
 * The names a cell declares at its top level: these outlive the cell (they
 * become notebook bindings at run time and exports of the cell's file for the
 * type checker).
 */
import type ts from "typescript";

export type DeclarationKind =
  | "const"
  | "let"
  | "var"
  | "function"
  | "class"
  | "enum"
  | "namespace"
  | "import"
  | "type";

export interface TopLevelName {
  name: string;
  kind: DeclarationKind;
  /** Declared with `export` (a cell may write it; it means nothing more in a notebook). */
  exported?: boolean;
}

/** Every name declared by a top-level statement of `file`, in source order. */
export function topLevelNames(tsApi: typeof ts, file: ts.SourceFile): TopLevelName[] {
  const names: TopLevelName[] = [];
  let exported = false;
  const add = (name: string, kind: DeclarationKind) => names.push(exported ? { name, kind, exported } : { name, kind });
  for (const statement of file.statements) {
    const modifiers = tsApi.canHaveModifiers(statement) ? tsApi.getModifiers(statement) : undefined;
    exported = modifiers?.some((m) => m.kind === tsApi.SyntaxKind.ExportKeyword) ?? false;
    if (tsApi.isVariableStatement(statement)) {
      const kind = variableKind(tsApi, statement.declarationList);
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(tsApi, declaration.name)) add(name, kind);
      }
    } else if (tsApi.isFunctionDeclaration(statement) && statement.name) {
      add(statement.name.text, "function");
    } else if (tsApi.isClassDeclaration(statement) && statement.name) {
      add(statement.name.text, "class");
    } else if (tsApi.isEnumDeclaration(statement)) {
      add(statement.name.text, "enum");
    } else if (tsApi.isModuleDeclaration(statement) && tsApi.isIdentifier(statement.name)) {
      add(statement.name.text, "namespace");
    } else if (tsApi.isInterfaceDeclaration(statement) || tsApi.isTypeAliasDeclaration(statement)) {
      add(statement.name.text, "type");
    } else if (tsApi.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (!clause) continue;
      const kind = clause.isTypeOnly ? "type" : "import";
      if (clause.name) add(clause.name.text, kind);
      const bindings = clause.namedBindings;
      if (bindings && tsApi.isNamespaceImport(bindings)) add(bindings.name.text, kind);
      if (bindings && tsApi.isNamedImports(bindings)) {
        for (const element of bindings.elements) add(element.name.text, element.isTypeOnly ? "type" : kind);
      }
    } else if (tsApi.isImportEqualsDeclaration(statement)) {
      add(statement.name.text, statement.isTypeOnly ? "type" : "import");
    }
  }
  return dedupe(names);
}

/** Later declarations of a name win (a function overload list declares once). */
function dedupe(names: TopLevelName[]): TopLevelName[] {
  const byName = new Map<string, TopLevelName>();
  for (const entry of names) {
    byName.delete(entry.name);
    byName.set(entry.name, entry);
  }
  return [...byName.values()];
}

export function variableKind(tsApi: typeof ts, list: ts.VariableDeclarationList): "const" | "let" | "var" {
  if (list.flags & tsApi.NodeFlags.Const) return "const";
  if (list.flags & tsApi.NodeFlags.Let) return "let";
  return "var";
}

/** The identifiers a binding name or destructuring pattern introduces. */
export function bindingNames(tsApi: typeof ts, name: ts.BindingName): string[] {
  if (tsApi.isIdentifier(name)) return [name.text];
  const out: string[] = [];
  for (const element of name.elements) {
    if (tsApi.isOmittedExpression(element)) continue;
    out.push(...bindingNames(tsApi, element.name));
  }
  return out;
}
