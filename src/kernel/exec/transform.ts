/**
 * Turns a TypeScript cell into JavaScript that runs inside the notebook scope.
 *
 * The emitted code is the body of `async function (__tsnnx) { with (__tsnnx.scope) { ... } }`
 * (see run-cell.ts): top-level declarations become assignments to notebook
 * bindings, so they outlive the cell and a re-run simply replaces them;
 * imports become awaited dynamic imports (ESM-only packages work); the last
 * expression statement becomes the cell's result; reads of notebook bindings
 * in consuming positions get their own array reference (see scope.ts for the
 * ownership rule); each top-level `await x` becomes `__tsnnx.resumed(await x)`,
 * which throws KeyboardInterrupt if the cell was interrupted meanwhile (so an
 * interrupted cell's body stops at its next await instead of running on in
 * the background). One `ts.transpileModule` call with a custom transformer
 * does it all, so the source map covers the rewrites.
 */
import type ts from "typescript";
import { topLevelNames, bindingNames, type TopLevelName } from "./declarations.js";

/** The parameter through which emitted code reaches the kernel (`CellRuntime`). */
export const RUNTIME_PARAM = "__tsnnx";

export interface TransformedCell {
  /** JavaScript, one statement list; line 1 is the cell's line 1 (no prologue). */
  js: string;
  /** Source map (JSON text) from `js` back to the cell. */
  sourceMap: string;
  /** Top-level names the cell declares, values and types. */
  declared: TopLevelName[];
  /** Syntax errors; the cell must not run when there are any. */
  syntaxErrors: ts.Diagnostic[];
}

/**
 * Callees whose arguments are only looked at, never consumed, so reads of
 * notebook arrays passed to them need no extra reference.
 */
const BORROWING_CALLEES = new Set(["display", "console"]);

export function transformCell(
  tsApi: typeof ts,
  code: string,
  fileName: string,
  notebookNames: ReadonlySet<string>,
): TransformedCell {
  let declared: TopLevelName[] = [];
  const transformer: ts.TransformerFactory<ts.SourceFile> = (context) => (file) => {
    declared = topLevelNames(tsApi, file);
    const known = new Set([...notebookNames, ...declared.filter((d) => d.kind !== "type").map((d) => d.name)]);
    return new CellRewriter(tsApi, context, known).rewrite(file);
  };
  const output = tsApi.transpileModule(code, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: tsApi.ScriptTarget.ES2022,
      module: tsApi.ModuleKind.ESNext,
      sourceMap: true,
      inlineSources: false,
      removeComments: true,
      useDefineForClassFields: true,
    },
    transformers: { before: [transformer] },
  });
  return {
    js: stripPrologueAndMapComment(output.outputText),
    sourceMap: output.sourceMapText ?? "",
    declared,
    syntaxErrors: (output.diagnostics ?? []).filter((d) => d.category === tsApi.DiagnosticCategory.Error),
  };
}

/**
 * "use strict" would forbid the `with` that resolves notebook names, and the
 * `export {}` TypeScript adds to keep a module (a cell with imports) a module
 * cannot stand in a function body. Lines stay so the source map still fits.
 */
function stripPrologueAndMapComment(js: string): string {
  return js
    .replace(/^"use strict";/, "")
    .replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n")
    .replace(/^export \{\};$/m, "");
}

class CellRewriter {
  private readonly f: ts.NodeFactory;
  /** Names declared inside the top-level block being visited (they shadow notebook names). */
  private readonly locals: Set<string>[] = [];

  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly context: ts.TransformationContext,
    private readonly notebookNames: ReadonlySet<string>,
  ) {
    this.f = context.factory;
  }

  rewrite(file: ts.SourceFile): ts.SourceFile {
    const ts = this.ts;
    const hoisted: ts.Statement[] = [];
    const body: ts.Statement[] = [];
    const lastIndex = lastRunnableIndex(ts, file.statements);
    file.statements.forEach((statement, index) => {
      if (ts.isFunctionDeclaration(statement)) {
        const assignment = this.functionAssignment(statement);
        if (assignment) hoisted.push(assignment);
        return;
      }
      if (index === lastIndex && ts.isExpressionStatement(statement)) {
        body.push(this.resultStatement(statement));
        return;
      }
      body.push(...this.topLevelStatement(statement));
    });
    return this.f.updateSourceFile(file, [...hoisted, ...body]);
  }

  private topLevelStatement(statement: ts.Statement): ts.Statement[] {
    const ts = this.ts;
    if (isTypeOnly(ts, statement)) return [];
    if (ts.isImportDeclaration(statement)) return [this.importStatement(statement)];
    if (ts.isImportEqualsDeclaration(statement)) return [this.importEqualsStatement(statement)];
    if (ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) return [];
    if (ts.isVariableStatement(statement)) return this.variableAssignments(statement);
    if (ts.isClassDeclaration(statement) && statement.name) {
      const expression = this.f.createClassExpression(
        withoutExportModifiers(ts, statement.modifiers),
        statement.name,
        statement.typeParameters,
        statement.heritageClauses,
        statement.members,
      );
      return [this.assign(statement, this.f.createIdentifier(statement.name.text), expression)];
    }
    if (ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)) {
      // TypeScript emits `var E; (function (E) {...})(E || (E = {}))`; inside
      // the `with`, assignments to E reach the notebook binding.
      return [stripExport(ts, statement)];
    }
    return [this.visitTopLevel(statement) as ts.Statement];
  }

  private resultStatement(statement: ts.ExpressionStatement): ts.Statement {
    const expression = this.visitTopLevel(statement.expression) as ts.Expression;
    const owned = producesNewValue(this.ts, statement.expression);
    const call = this.runtimeCall("result", [expression, owned ? this.f.createTrue() : this.f.createFalse()]);
    return this.ts.setTextRange(this.f.createExpressionStatement(call), statement);
  }

  private functionAssignment(statement: ts.FunctionDeclaration): ts.Statement | null {
    if (!statement.body || !statement.name) return null; // an overload signature
    const ts = this.ts;
    const expression = this.f.createFunctionExpression(
      statement.modifiers?.filter((m) => m.kind === ts.SyntaxKind.AsyncKeyword) as ts.Modifier[] | undefined,
      statement.asteriskToken,
      statement.name,
      statement.typeParameters,
      statement.parameters,
      statement.type,
      this.visitNested(statement.body) as ts.Block,
    );
    return this.assign(statement, this.f.createIdentifier(statement.name.text), expression);
  }

  private variableAssignments(statement: ts.VariableStatement): ts.Statement[] {
    const ts = this.ts;
    if (statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return [];
    return statement.declarationList.declarations.map((declaration) => {
      const value = declaration.initializer
        ? this.consume(declaration.initializer)
        : this.f.createVoidZero();
      return this.assign(declaration, this.bindingTarget(declaration.name), value);
    });
  }

  /** A destructuring declaration pattern as the equivalent assignment pattern. */
  private bindingTarget(name: ts.BindingName): ts.Expression {
    const ts = this.ts;
    const f = this.f;
    if (ts.isIdentifier(name)) return f.createIdentifier(name.text);
    if (ts.isObjectBindingPattern(name)) {
      return f.createObjectLiteralExpression(
        name.elements.map((element) => {
          const target = this.bindingTarget(element.name);
          const withDefault = element.initializer
            ? f.createAssignment(target, this.visitTopLevel(element.initializer) as ts.Expression)
            : target;
          if (element.dotDotDotToken) return f.createSpreadAssignment(target);
          const key = element.propertyName ?? (element.name as ts.Identifier);
          return f.createPropertyAssignment(this.visitTopLevel(key) as ts.PropertyName, withDefault);
        }),
      );
    }
    return f.createArrayLiteralExpression(
      name.elements.map((element) => {
        if (ts.isOmittedExpression(element)) return f.createOmittedExpression();
        const target = this.bindingTarget(element.name);
        if (element.dotDotDotToken) return f.createSpreadElement(target);
        return element.initializer
          ? f.createAssignment(target, this.visitTopLevel(element.initializer) as ts.Expression)
          : target;
      }),
    );
  }

  private importStatement(statement: ts.ImportDeclaration): ts.Statement {
    const ts = this.ts;
    const f = this.f;
    const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
    const clause = statement.importClause;
    const bindings: ts.ObjectLiteralElementLike[] = [];
    const bind = (key: string, local: string) =>
      bindings.push(f.createPropertyAssignment(f.createStringLiteral(key), f.createStringLiteral(local)));
    if (clause && !clause.isTypeOnly) {
      if (clause.name) bind("default", clause.name.text);
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named)) bind("*", named.name.text);
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          if (element.isTypeOnly) continue;
          bind((element.propertyName ?? element.name).text, element.name.text);
        }
      }
    }
    const call = this.runtimeCall("importInto", [
      f.createStringLiteral(specifier),
      f.createObjectLiteralExpression(bindings),
    ]);
    return ts.setTextRange(f.createExpressionStatement(f.createAwaitExpression(call)), statement);
  }

  private importEqualsStatement(statement: ts.ImportEqualsDeclaration): ts.Statement {
    const ts = this.ts;
    const reference = statement.moduleReference;
    const value = ts.isExternalModuleReference(reference)
      ? this.f.createAwaitExpression(this.runtimeCall("require", [reference.expression]))
      : (reference as ts.Expression);
    return this.assign(statement, this.f.createIdentifier(statement.name.text), value);
  }

  private assign(range: ts.Node, target: ts.Expression, value: ts.Expression): ts.Statement {
    const statement = this.f.createExpressionStatement(
      this.f.createParenthesizedExpression(this.f.createAssignment(target, value)),
    );
    return this.ts.setTextRange(statement, range);
  }

  private runtimeCall(method: string, args: ts.Expression[]): ts.Expression {
    const callee = this.f.createPropertyAccessExpression(this.f.createIdentifier(RUNTIME_PARAM), method);
    return this.f.createCallExpression(callee, undefined, args);
  }

  /**
   * Code that runs at the cell's top level (not inside a function): reads of
   * notebook arrays in consuming positions get their own reference.
   */
  private visitTopLevel(node: ts.Node): ts.Node {
    const ts = this.ts;
    if (isFunctionLike(ts, node)) return this.visitNested(node);
    const scoped = this.blockLocals(node);
    if (scoped) this.locals.push(scoped);
    try {
      if (ts.isCallExpression(node) && isDynamicImport(ts, node)) return this.dynamicImport(node);
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) return this.visitCall(node);
      if (ts.isAwaitExpression(node)) {
        const awaited = ts.visitEachChild(node, (child) => this.visitTopLevel(child), this.context);
        return ts.setTextRange(this.runtimeCall("resumed", [awaited]), node);
      }
      if (ts.isArrayLiteralExpression(node)) {
        return this.f.updateArrayLiteralExpression(node, node.elements.map((e) => this.consume(e)));
      }
      if (ts.isPropertyAssignment(node)) {
        return this.f.updatePropertyAssignment(node, this.visitTopLevel(node.name) as ts.PropertyName, this.consume(node.initializer));
      }
      if (ts.isShorthandPropertyAssignment(node) && !node.objectAssignmentInitializer && this.isNotebookName(node.name)) {
        return this.f.createPropertyAssignment(node.name.text, this.consume(node.name));
      }
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        return this.f.updateBinaryExpression(node, this.visitTopLevel(node.left) as ts.Expression, node.operatorToken, this.consume(node.right));
      }
      if (ts.isVariableDeclaration(node) && node.initializer) {
        return this.f.updateVariableDeclaration(node, node.name, node.exclamationToken, node.type, this.consume(node.initializer));
      }
      return ts.visitEachChild(node, (child) => this.visitTopLevel(child), this.context);
    } finally {
      if (scoped) this.locals.pop();
    }
  }

  /** Inside functions jax-js's own rules hold: only dynamic imports are rewritten. */
  private visitNested(node: ts.Node): ts.Node {
    const ts = this.ts;
    if (ts.isCallExpression(node) && isDynamicImport(ts, node)) return this.dynamicImport(node);
    return ts.visitEachChild(node, (child) => this.visitNested(child), this.context);
  }

  private dynamicImport(node: ts.CallExpression): ts.Expression {
    const args = node.arguments.map((a) => this.visitNested(a) as ts.Expression);
    return this.ts.setTextRange(this.runtimeCall("import", args), node);
  }

  private visitCall(node: ts.CallExpression | ts.NewExpression): ts.Node {
    const ts = this.ts;
    const borrowing = isBorrowingCallee(ts, node.expression);
    const args = node.arguments?.map((a) => (borrowing ? (this.visitTopLevel(a) as ts.Expression) : this.consume(a)));
    let callee = this.visitTopLevel(node.expression) as ts.Expression;
    const receiver = ts.isPropertyAccessExpression(node.expression) ? node.expression.expression : null;
    if (ts.isCallExpression(node) && receiver && ts.isIdentifier(receiver) && this.isNotebookName(receiver)) {
      // `x.add(1)` consumes x (a method call on a jax-js array moves `this`).
      const method = (node.expression as ts.PropertyAccessExpression).name;
      const owned = this.runtimeCall("useFor", [receiver, this.f.createStringLiteral(method.text)]);
      callee = this.f.createPropertyAccessExpression(owned, method);
    }
    if (ts.isCallExpression(node)) return this.f.updateCallExpression(node, callee, node.typeArguments, args ?? []);
    return this.f.updateNewExpression(node, callee, node.typeArguments, args);
  }

  /** An expression whose value is handed over (argument, initializer, element). */
  private consume(expression: ts.Expression): ts.Expression {
    const ts = this.ts;
    if (ts.isIdentifier(expression) && this.isNotebookName(expression)) {
      return ts.setTextRange(this.runtimeCall("use", [expression]), expression);
    }
    if (ts.isParenthesizedExpression(expression)) {
      return this.f.updateParenthesizedExpression(expression, this.consume(expression.expression));
    }
    if (ts.isConditionalExpression(expression)) {
      return this.f.updateConditionalExpression(
        expression,
        this.visitTopLevel(expression.condition) as ts.Expression,
        expression.questionToken,
        this.consume(expression.whenTrue),
        expression.colonToken,
        this.consume(expression.whenFalse),
      );
    }
    if (ts.isAsExpression(expression) || ts.isNonNullExpression(expression) || ts.isSatisfiesExpression(expression)) {
      return this.consume(expression.expression);
    }
    return this.visitTopLevel(expression) as ts.Expression;
  }

  private isNotebookName(identifier: ts.Identifier): boolean {
    const name = identifier.text;
    if (!this.notebookNames.has(name)) return false;
    return !this.locals.some((scope) => scope.has(name));
  }

  /** Names a nested top-level block, loop or catch clause declares (they shadow notebook names). */
  private blockLocals(node: ts.Node): Set<string> | null {
    const ts = this.ts;
    const names = new Set<string>();
    const addList = (list: ts.ForInitializer | undefined) => {
      if (list && ts.isVariableDeclarationList(list)) {
        for (const d of list.declarations) for (const n of bindingNames(ts, d.name)) names.add(n);
      }
    };
    if (ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node)) addList(node.initializer);
    else if (ts.isCatchClause(node) && node.variableDeclaration) {
      for (const n of bindingNames(ts, node.variableDeclaration.name)) names.add(n);
    } else if (ts.isBlock(node) || ts.isCaseBlock(node)) {
      const statements = ts.isBlock(node) ? node.statements : node.clauses.flatMap((c) => [...c.statements]);
      for (const s of statements) {
        if (ts.isVariableStatement(s)) addList(s.declarationList);
        else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.add(s.name.text);
      }
    } else return null;
    return names;
  }
}

function isTypeOnly(tsApi: typeof ts, statement: ts.Statement): boolean {
  if (tsApi.isInterfaceDeclaration(statement) || tsApi.isTypeAliasDeclaration(statement)) return true;
  const modifiers = tsApi.canHaveModifiers(statement) ? tsApi.getModifiers(statement) : undefined;
  if (modifiers?.some((m) => m.kind === tsApi.SyntaxKind.DeclareKeyword)) return true;
  if (tsApi.isImportDeclaration(statement)) return statement.importClause?.isTypeOnly ?? false;
  if (tsApi.isImportEqualsDeclaration(statement)) return statement.isTypeOnly;
  return false;
}

function isFunctionLike(tsApi: typeof ts, node: ts.Node): boolean {
  return (
    tsApi.isFunctionExpression(node) ||
    tsApi.isArrowFunction(node) ||
    tsApi.isFunctionDeclaration(node) ||
    tsApi.isClassLike(node) ||
    tsApi.isMethodDeclaration(node) ||
    tsApi.isAccessor(node)
  );
}

function isDynamicImport(tsApi: typeof ts, node: ts.CallExpression): boolean {
  return node.expression.kind === tsApi.SyntaxKind.ImportKeyword;
}

function isBorrowingCallee(tsApi: typeof ts, callee: ts.Expression): boolean {
  let root: ts.Expression = callee;
  while (tsApi.isPropertyAccessExpression(root)) root = root.expression;
  return tsApi.isIdentifier(root) && BORROWING_CALLEES.has(root.text);
}

/**
 * Whether the result expression creates a value nobody else owns (a call),
 * as opposed to showing one that is owned elsewhere (`x`, `model.w.value`).
 */
function producesNewValue(tsApi: typeof ts, expression: ts.Expression): boolean {
  let e = expression;
  while (tsApi.isParenthesizedExpression(e) || tsApi.isAwaitExpression(e)) e = e.expression;
  return (tsApi.isCallExpression(e) && !isBorrowingCallee(tsApi, e.expression)) || tsApi.isNewExpression(e);
}

function lastRunnableIndex(tsApi: typeof ts, statements: ts.NodeArray<ts.Statement>): number {
  for (let i = statements.length - 1; i >= 0; i--) {
    if (!isTypeOnly(tsApi, statements[i]!) && !tsApi.isEmptyStatement(statements[i]!)) return i;
  }
  return -1;
}

function withoutExportModifiers(
  tsApi: typeof ts,
  modifiers: ts.NodeArray<ts.ModifierLike> | undefined,
): ts.ModifierLike[] | undefined {
  return modifiers?.filter(
    (m) => m.kind !== tsApi.SyntaxKind.ExportKeyword && m.kind !== tsApi.SyntaxKind.DefaultKeyword,
  );
}

function stripExport<T extends ts.EnumDeclaration | ts.ModuleDeclaration>(tsApi: typeof ts, node: T): ts.Statement {
  const f = tsApi.factory;
  const modifiers = withoutExportModifiers(tsApi, node.modifiers) as ts.Modifier[] | undefined;
  if (tsApi.isEnumDeclaration(node)) return f.updateEnumDeclaration(node, modifiers, node.name, node.members);
  const module = node as ts.ModuleDeclaration;
  return f.updateModuleDeclaration(module, modifiers, module.name, module.body);
}
