/**
 * Turns a TypeScript cell into JavaScript that runs inside the notebook scope.
 *
 * The emitted code is the body of `async function (__tsnnx) { with (__tsnnx.scope) { ... } }`
 * (see executor.ts): top-level declarations become assignments to notebook
 * bindings, so they outlive the cell and a re-run simply replaces them;
 * imports become awaited dynamic imports (ESM-only packages work); the last
 * expression statement becomes the cell's result; wherever any code of the
 * cell (its top level, or a function, method or callback it defines) hands a
 * notebook binding over, it hands over a new array reference instead (see
 * scope.ts for the ownership rule; the rewriter tracks scopes, so a local
 * named like a notebook binding shadows it); each top-level `await x` becomes
 * `__tsnnx.resumed(await x)`, which throws KeyboardInterrupt if the cell was
 * interrupted meanwhile (so an interrupted cell's body stops at its next
 * await instead of running on in the background). One `ts.transpileModule` call with a custom transformer
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
      // The cell's text travels with the map, so an error report can quote the code it happened in (traceback.ts).
      inlineSources: true,
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
  /** Names declared by the scopes being visited, innermost last: they shadow notebook names. */
  private readonly scopes: ReadonlySet<string>[] = [];
  /** How many functions the node being visited is inside: only the cell's own `await`s are checked for interrupts. */
  private functionDepth = 0;

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
    this.scopes.push(cellLocals(ts, file));
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
      const visited = this.visit(statement) as ts.ClassDeclaration;
      const expression = this.f.createClassExpression(
        withoutExportModifiers(ts, visited.modifiers),
        visited.name,
        visited.typeParameters,
        visited.heritageClauses,
        visited.members,
      );
      return [this.assign(statement, this.f.createIdentifier(statement.name.text), expression)];
    }
    if (ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)) {
      // TypeScript emits `var E; (function (E) {...})(E || (E = {}))`; inside
      // the `with`, assignments to E reach the notebook binding.
      return [stripExport(ts, statement)];
    }
    return [this.visit(statement) as ts.Statement];
  }

  private resultStatement(statement: ts.ExpressionStatement): ts.Statement {
    const expression = this.visit(statement.expression) as ts.Expression;
    const owned = producesNewValue(this.ts, statement.expression);
    const call = this.runtimeCall("result", [expression, owned ? this.f.createTrue() : this.f.createFalse()]);
    return this.ts.setTextRange(this.f.createExpressionStatement(call), statement);
  }

  private functionAssignment(statement: ts.FunctionDeclaration): ts.Statement | null {
    if (!statement.body || !statement.name) return null; // an overload signature
    const ts = this.ts;
    const visited = this.visit(statement) as ts.FunctionDeclaration;
    const expression = this.f.createFunctionExpression(
      visited.modifiers?.filter((m) => m.kind === ts.SyntaxKind.AsyncKeyword) as ts.Modifier[] | undefined,
      visited.asteriskToken,
      visited.name,
      visited.typeParameters,
      visited.parameters,
      visited.type,
      visited.body!,
    );
    return this.assign(statement, this.f.createIdentifier(statement.name.text), expression);
  }

  private variableAssignments(statement: ts.VariableStatement): ts.Statement[] {
    const ts = this.ts;
    if (statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return [];
    return statement.declarationList.declarations.map((declaration) => {
      const value = declaration.initializer
        ? this.initializer(declaration.name, declaration.initializer)
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
          const withDefault = element.initializer ? f.createAssignment(target, this.consume(element.initializer)) : target;
          if (element.dotDotDotToken) return f.createSpreadAssignment(target);
          const key = element.propertyName ?? (element.name as ts.Identifier);
          return f.createPropertyAssignment(this.visit(key) as ts.PropertyName, withDefault);
        }),
      );
    }
    return f.createArrayLiteralExpression(
      name.elements.map((element) => {
        if (ts.isOmittedExpression(element)) return f.createOmittedExpression();
        const target = this.bindingTarget(element.name);
        if (element.dotDotDotToken) return f.createSpreadElement(target);
        return element.initializer ? f.createAssignment(target, this.consume(element.initializer)) : target;
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
   * Any code of the cell, at its top level or inside the functions, methods
   * and callbacks it defines: reads of notebook arrays where they are handed
   * over get their own reference; names a scope declares shadow notebook
   * names inside it.
   */
  private readonly visit = (node: ts.Node): ts.Node => {
    const ts = this.ts;
    const declared = declaredIn(ts, node);
    const isFunction = ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node);
    if (declared) this.scopes.push(declared);
    if (isFunction) this.functionDepth++;
    try {
      return this.rewriteNode(node);
    } finally {
      if (isFunction) this.functionDepth--;
      if (declared) this.scopes.pop();
    }
  };

  private rewriteNode(node: ts.Node): ts.Node {
    const ts = this.ts;
    const f = this.f;
    if (ts.isCallExpression(node) && isDynamicImport(ts, node)) return this.dynamicImport(node);
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) return this.visitCall(node);
    if (ts.isAwaitExpression(node) && this.functionDepth === 0) {
      const awaited = ts.visitEachChild(node, this.visit, this.context);
      return ts.setTextRange(this.runtimeCall("resumed", [awaited]), node);
    }
    if (ts.isArrayLiteralExpression(node)) {
      return f.updateArrayLiteralExpression(node, node.elements.map((e) => this.consume(e)));
    }
    if (ts.isPropertyAssignment(node)) {
      return f.updatePropertyAssignment(node, this.visit(node.name) as ts.PropertyName, this.consume(node.initializer));
    }
    if (ts.isShorthandPropertyAssignment(node) && !node.objectAssignmentInitializer && this.isNotebookName(node.name)) {
      return ts.setTextRange(f.createPropertyAssignment(node.name.text, this.consume(node.name)), node);
    }
    if (ts.isBinaryExpression(node) && isAssignment(ts, node.operatorToken.kind)) {
      const isPlain = node.operatorToken.kind === ts.SyntaxKind.EqualsToken;
      const target = isPlain ? this.assignmentTarget(node.left) : (this.visit(node.left) as ts.Expression);
      const destructures = ts.isArrayLiteralExpression(node.left) || ts.isObjectLiteralExpression(node.left);
      const value = destructures ? (this.visit(node.right) as ts.Expression) : this.consume(node.right);
      return f.updateBinaryExpression(node, target, node.operatorToken, value);
    }
    if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) {
      // `for ([a, b] of pairs)`: the initializer is a destructuring target.
      const target = this.assignmentTarget(node.initializer);
      const expression = this.visit(node.expression) as ts.Expression;
      const statement = this.visit(node.statement) as ts.Statement;
      return ts.isForOfStatement(node)
        ? f.updateForOfStatement(node, node.awaitModifier, target, expression, statement)
        : f.updateForInStatement(node, target, expression, statement);
    }
    if (ts.isVariableDeclaration(node) && node.initializer) {
      const name = this.visit(node.name) as ts.BindingName;
      return f.updateVariableDeclaration(node, name, node.exclamationToken, node.type, this.initializer(node.name, node.initializer));
    }
    if (ts.isBindingElement(node) && node.initializer) {
      const key = node.propertyName && (this.visit(node.propertyName) as ts.PropertyName);
      return f.updateBindingElement(node, node.dotDotDotToken, key, this.visit(node.name) as ts.BindingName, this.consume(node.initializer));
    }
    if (ts.isParameter(node) && node.initializer) {
      const name = this.visit(node.name) as ts.BindingName;
      return f.updateParameterDeclaration(node, node.modifiers, node.dotDotDotToken, name, node.questionToken, node.type, this.consume(node.initializer));
    }
    if (ts.isPropertyDeclaration(node) && node.initializer) {
      const name = this.visit(node.name) as ts.PropertyName;
      return f.updatePropertyDeclaration(node, node.modifiers, name, node.questionToken ?? node.exclamationToken, node.type, this.consume(node.initializer));
    }
    if (ts.isReturnStatement(node) && node.expression) {
      return f.updateReturnStatement(node, this.consume(node.expression));
    }
    if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) {
      const parameters = ts.visitNodes(node.parameters, this.visit, ts.isParameter);
      return f.updateArrowFunction(node, node.modifiers, node.typeParameters, parameters, node.type, node.equalsGreaterThanToken, this.consume(node.body));
    }
    if (ts.isYieldExpression(node) && node.expression && !node.asteriskToken) {
      return f.updateYieldExpression(node, undefined, this.consume(node.expression));
    }
    return ts.visitEachChild(node, this.visit, this.context);
  }

  /** A declaration's value: handed over to a name, only read by a destructuring pattern (`const { shape } = x`). */
  private initializer(name: ts.BindingName, value: ts.Expression): ts.Expression {
    return this.ts.isIdentifier(name) ? this.consume(value) : (this.visit(value) as ts.Expression);
  }

  /** The left side of `=`: the targets of a destructuring pattern are bound, not handed over; its defaults are. */
  private assignmentTarget(node: ts.Expression): ts.Expression {
    const ts = this.ts;
    const f = this.f;
    if (ts.isArrayLiteralExpression(node)) {
      return f.updateArrayLiteralExpression(node, node.elements.map((e) => this.assignmentTarget(e)));
    }
    if (ts.isObjectLiteralExpression(node)) {
      return f.updateObjectLiteralExpression(
        node,
        node.properties.map((property) => {
          if (ts.isPropertyAssignment(property)) {
            return f.updatePropertyAssignment(property, this.visit(property.name) as ts.PropertyName, this.assignmentTarget(property.initializer));
          }
          if (ts.isShorthandPropertyAssignment(property)) {
            const fallback = property.objectAssignmentInitializer && this.consume(property.objectAssignmentInitializer);
            return f.updateShorthandPropertyAssignment(property, property.name, fallback);
          }
          if (ts.isSpreadAssignment(property)) return f.updateSpreadAssignment(property, this.assignmentTarget(property.expression));
          return this.visit(property) as ts.ObjectLiteralElementLike;
        }),
      );
    }
    if (ts.isSpreadElement(node)) return f.updateSpreadElement(node, this.assignmentTarget(node.expression));
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      return f.updateBinaryExpression(node, this.assignmentTarget(node.left), node.operatorToken, this.consume(node.right));
    }
    if (ts.isParenthesizedExpression(node)) return f.updateParenthesizedExpression(node, this.assignmentTarget(node.expression));
    return this.visit(node) as ts.Expression;
  }

  private dynamicImport(node: ts.CallExpression): ts.Expression {
    const args = node.arguments.map((a) => this.visit(a) as ts.Expression);
    return this.ts.setTextRange(this.runtimeCall("import", args), node);
  }

  private visitCall(node: ts.CallExpression | ts.NewExpression): ts.Node {
    const ts = this.ts;
    const f = this.f;
    const borrowing = isBorrowingCallee(ts, node.expression);
    const args = node.arguments?.map((a) => (borrowing ? (this.visit(a) as ts.Expression) : this.consume(a)));
    let callee = this.visit(node.expression) as ts.Expression;
    const access = ts.isPropertyAccessExpression(node.expression) ? node.expression : null;
    if (ts.isCallExpression(node) && access && ts.isIdentifier(access.expression) && this.isNotebookName(access.expression)) {
      // `x.add(1)` consumes x (a method call on a jax-js array moves `this`).
      const owned = this.runtimeCall("useFor", [access.expression, f.createStringLiteral(access.name.text)]);
      callee = ts.isPropertyAccessChain(access)
        ? f.createPropertyAccessChain(owned, access.questionDotToken, access.name)
        : f.createPropertyAccessExpression(owned, access.name);
    }
    if (ts.isCallExpression(node)) return f.updateCallExpression(node, callee, node.typeArguments, args ?? []);
    return f.updateNewExpression(node, callee, node.typeArguments, args);
  }

  /** An expression whose value is handed over (argument, initializer, element, return value). */
  private consume(expression: ts.Expression): ts.Expression {
    const ts = this.ts;
    const f = this.f;
    if (ts.isIdentifier(expression)) {
      return this.isNotebookName(expression) ? ts.setTextRange(this.runtimeCall("use", [expression]), expression) : expression;
    }
    if (ts.isParenthesizedExpression(expression)) {
      return f.updateParenthesizedExpression(expression, this.consume(expression.expression));
    }
    if (ts.isConditionalExpression(expression)) {
      return f.updateConditionalExpression(
        expression,
        this.visit(expression.condition) as ts.Expression,
        expression.questionToken,
        this.consume(expression.whenTrue),
        expression.colonToken,
        this.consume(expression.whenFalse),
      );
    }
    if (ts.isBinaryExpression(expression)) {
      const operator = expression.operatorToken.kind;
      // `a ?? b`, `a || b` hand over whichever they pick (an array is never nullish or falsy);
      // `a && b` and `(a, b)` hand over only b.
      const handsOverLeft = operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken;
      if (handsOverLeft || operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken) {
        const left = handsOverLeft ? this.consume(expression.left) : (this.visit(expression.left) as ts.Expression);
        return f.updateBinaryExpression(expression, left, expression.operatorToken, this.consume(expression.right));
      }
    }
    if (ts.isAsExpression(expression) || ts.isNonNullExpression(expression) || ts.isSatisfiesExpression(expression) || ts.isTypeAssertionExpression(expression)) {
      return this.consume(expression.expression);
    }
    return this.visit(expression) as ts.Expression;
  }

  private isNotebookName(identifier: ts.Identifier): boolean {
    const name = identifier.text;
    if (!this.notebookNames.has(name)) return false;
    return !this.scopes.some((scope) => scope.has(name));
  }
}

/**
 * Names that are locals of the cell's own function: `var`s declared inside
 * its top-level blocks and loops (a top-level `var` statement declares a
 * notebook name instead).
 */
function cellLocals(tsApi: typeof ts, file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.statements) {
    if (!tsApi.isVariableStatement(statement)) addHoistedVars(tsApi, statement, names);
  }
  return names;
}

/**
 * The names `node` declares for the code inside it: a function's parameters,
 * own name and `var`s; a block's `let`, `const`, `class`, `function` and
 * `enum`; a loop's or a catch clause's variables; a class expression's name.
 */
export function declaredIn(tsApi: typeof ts, node: ts.Node): Set<string> | null {
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName) => {
    for (const n of bindingNames(tsApi, name)) names.add(n);
  };
  if (tsApi.isFunctionLike(node)) {
    for (const parameter of node.parameters) addBinding(parameter.name);
    if (tsApi.isFunctionExpression(node) && node.name) names.add(node.name.text);
    const body = (node as ts.FunctionLikeDeclaration).body;
    if (body) addHoistedVars(tsApi, body, names);
  } else if (tsApi.isClassStaticBlockDeclaration(node)) {
    addHoistedVars(tsApi, node.body, names);
  } else if (tsApi.isBlock(node) || tsApi.isCaseBlock(node)) {
    const statements = tsApi.isBlock(node) ? node.statements : node.clauses.flatMap((c) => [...c.statements]);
    for (const s of statements) {
      if (tsApi.isVariableStatement(s)) s.declarationList.declarations.forEach((d) => addBinding(d.name));
      else if ((tsApi.isFunctionDeclaration(s) || tsApi.isClassDeclaration(s) || tsApi.isEnumDeclaration(s)) && s.name) names.add(s.name.text);
    }
  } else if (tsApi.isForStatement(node) || tsApi.isForOfStatement(node) || tsApi.isForInStatement(node)) {
    const list = node.initializer;
    if (!list || !tsApi.isVariableDeclarationList(list)) return null;
    list.declarations.forEach((d) => addBinding(d.name));
  } else if (tsApi.isCatchClause(node) && node.variableDeclaration) {
    addBinding(node.variableDeclaration.name);
  } else if (tsApi.isClassExpression(node) && node.name) {
    names.add(node.name.text);
  } else {
    return null;
  }
  return names;
}

/** Adds the `var`s declared in `node` outside nested functions (they belong to the enclosing function). */
function addHoistedVars(tsApi: typeof ts, node: ts.Node, names: Set<string>): void {
  tsApi.forEachChild(node, (child) => {
    if (tsApi.isFunctionLike(child) || tsApi.isClassLike(child) || tsApi.isClassStaticBlockDeclaration(child)) return;
    if (tsApi.isVariableDeclarationList(child) && !(child.flags & tsApi.NodeFlags.BlockScoped)) {
      for (const d of child.declarations) for (const n of bindingNames(tsApi, d.name)) names.add(n);
    }
    addHoistedVars(tsApi, child, names);
  });
}

function isAssignment(tsApi: typeof ts, operator: ts.SyntaxKind): boolean {
  return (
    operator === tsApi.SyntaxKind.EqualsToken ||
    operator === tsApi.SyntaxKind.QuestionQuestionEqualsToken ||
    operator === tsApi.SyntaxKind.BarBarEqualsToken ||
    operator === tsApi.SyntaxKind.AmpersandAmpersandEqualsToken
  );
}

function isTypeOnly(tsApi: typeof ts, statement: ts.Statement): boolean {
  if (tsApi.isInterfaceDeclaration(statement) || tsApi.isTypeAliasDeclaration(statement)) return true;
  const modifiers = tsApi.canHaveModifiers(statement) ? tsApi.getModifiers(statement) : undefined;
  if (modifiers?.some((m) => m.kind === tsApi.SyntaxKind.DeclareKeyword)) return true;
  if (tsApi.isImportDeclaration(statement)) return statement.importClause?.isTypeOnly ?? false;
  if (tsApi.isImportEqualsDeclaration(statement)) return statement.isTypeOnly;
  return false;
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
