/**
 * jax-js's use-after-free error ("Referenced tracer Array:float32[2] freed,
 * please use .ref move semantics") explained in the notebook's terms: which
 * variable held the freed array, where it was consumed before, and what to
 * write instead. jax-js does not say which variable it was, so this reads the
 * cell's code at the failing call (the innermost cell frame of the stack):
 * an array passed twice to one call, consumed by an earlier call of the same
 * function or by an earlier loop iteration, a parameter its caller had
 * freed, or a notebook name whose array was disposed.
 */
import { createRequire } from "node:module";
import type ts from "typescript";
import { declaredIn } from "./transform.js";

/** jax-js's UseAfterFreeError is not exported; its message is its signature. */
const FREED = /^Referenced tracer (.+) freed, please use \.ref move semantics$/;

/** Methods after which the receiver is gone (jax-js consumes `this` in nearly all of them). */
const KEEPS_RECEIVER = new Set(["toString", "blockUntilReady", "gpuBuffer", "gpuBufferSync"]);

export const FREED_ARRAY_ERROR = "UseAfterFreeError";

export function isFreedArrayError(error: Error): boolean {
  return error instanceof ReferenceError && FREED.test(error.message);
}

/** Where in a cell the failing call is (1-based line and column), with the cell's code. */
export interface CellSite {
  label: string;
  line: number;
  column: number;
  source: string;
}

/** The message to show instead of jax-js's own (which it quotes at the end). */
export function explainFreedArray(message: string, site: CellSite | null): string {
  const tail = ` (jax-js: ${message})`;
  const where = site ? ` (${site.label}, line ${site.line})` : "";
  const generic = `An array was used after it was freed${where}: in jax-js, passing an array to a function consumes it. Pass \`name.ref\` where you still need an array after passing it on.`;
  if (!site) return generic + tail;
  try {
    return (explainAt(site) ?? generic) + tail;
  } catch {
    return generic + tail; // an explanation must never hide the error itself
  }
}

let tsApi: typeof ts | undefined;
function typescript(): typeof ts {
  // The executor has loaded TypeScript already; this only reaches it from here.
  tsApi ??= createRequire(import.meta.url)("typescript") as typeof ts;
  return tsApi;
}

function explainAt(site: CellSite): string | null {
  const ts = typescript();
  const file = ts.createSourceFile(`${site.label}.ts`, site.source, ts.ScriptTarget.Latest, true);
  const position = file.getPositionOfLineAndCharacter(site.line - 1, site.column - 1);
  const use = usingExpression(ts, innermostAt(ts, file, position));
  if (!use) return null;
  const code = snippet(use.node.getText(file));
  const where = `${site.label}, line ${site.line}`;
  const names = use.names.map((n) => n.text);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) {
    return `\`${twice}\` is passed twice to \`${code}\` (${where}): the first use consumes it, so the second finds it freed. Pass \`${twice}.ref\` for every use but the last.`;
  }
  // A name the cell's code does not declare is a notebook name (`np` as often as an array): blamed only if nothing else is.
  let notebookName: string | undefined;
  for (const identifier of use.names) {
    const name = identifier.text;
    const scope = declaringScope(ts, identifier);
    if (!scope) {
      if (!use.receivers.includes(identifier)) notebookName ??= name;
      continue;
    }
    const earlier = earlierConsumer(ts, scope, identifier, file);
    if (earlier) {
      const line = file.getLineAndCharacterOfPosition(earlier.getStart(file)).line + 1;
      return `\`${name}\` was consumed by \`${snippet(earlier.getText(file))}\` on line ${line} and is used again by \`${code}\` (${where}). Pass \`${name}.ref\` to the earlier call to keep \`${name}\`.`;
    }
    const loop = loopWithin(ts, identifier, scope);
    if (loop && !assignedWithin(ts, loop, name)) {
      return `\`${name}\` is consumed by \`${code}\` (${where}) in every iteration of a loop, but it was made outside the loop: pass \`${name}.ref\` to keep it for the next iteration.`;
    }
    if (ts.isFunctionLike(scope) && scope.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) {
      const fn = functionName(ts, scope);
      return `\`${name}\`, a parameter of ${fn}, holds an array that was already freed when \`${code}\` (${where}) used it: the caller passed an array it had consumed before (see the frames below). Pass \`.ref\` wherever an array is used again after being passed on.`;
    }
  }
  if (notebookName) {
    return `the notebook's \`${notebookName}\` holds an array that was already freed when \`${code}\` (${where}) used it (it was disposed, or consumed through an object or list that held it). Bind \`${notebookName}\` again.`;
  }
  const list = names.map((n) => `\`${n}\``).join(", ");
  return `\`${code}\` (${where}) uses an array that was already freed${list ? ` (one of ${list})` : ""}: in jax-js, passing an array to a function consumes it. Pass \`name.ref\` where you still need an array after passing it on.`;
}

function innermostAt(tsApi: typeof ts, file: ts.SourceFile, position: number): ts.Node {
  let node: ts.Node = file;
  for (;;) {
    const child = tsApi.forEachChild(node, (c) => (c.getStart(file) <= position && position < c.end ? c : undefined));
    if (!child) return node;
    node = child;
  }
}

/**
 * The expression V8 points at and the names it hands over: a call or `new`
 * (V8 points at its callee) with its receiver and arguments, or a `.ref` /
 * `.dispose()` access of a name.
 */
function usingExpression(tsApi: typeof ts, at: ts.Node): { node: ts.Node; names: ts.Identifier[]; receivers: ts.Identifier[] } | null {
  for (let node: ts.Node | undefined = at; node; node = node.parent) {
    if (tsApi.isPropertyAccessExpression(node) && tsApi.isIdentifier(node.expression) && ["ref", "dispose"].includes(node.name.text)) {
      return { node: tsApi.isCallExpression(node.parent) ? node.parent : node, names: [node.expression], receivers: [] };
    }
    if ((tsApi.isCallExpression(node) || tsApi.isNewExpression(node)) && at.pos < (node.arguments?.pos ?? node.end)) {
      const names: ts.Identifier[] = [];
      for (const argument of node.arguments ?? []) {
        const inner = unwrap(tsApi, argument);
        if (tsApi.isIdentifier(inner)) names.push(inner);
      }
      const callee = node.expression;
      const receivers = tsApi.isPropertyAccessExpression(callee) && tsApi.isIdentifier(callee.expression) && !KEEPS_RECEIVER.has(callee.name.text) ? [callee.expression] : [];
      return { node, names: [...names, ...receivers], receivers };
    }
  }
  return null;
}

function unwrap(tsApi: typeof ts, expression: ts.Expression): ts.Expression {
  let e = expression;
  while (tsApi.isParenthesizedExpression(e) || tsApi.isAsExpression(e) || tsApi.isNonNullExpression(e) || tsApi.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/** The node whose scope declares `identifier`; null for a name the cell's code does not declare (a notebook name). */
function declaringScope(tsApi: typeof ts, identifier: ts.Identifier): ts.Node | null {
  for (let node = identifier.parent; node && !tsApi.isSourceFile(node); node = node.parent) {
    if (declaredIn(tsApi, node)?.has(identifier.text)) return node;
  }
  return null;
}

/** The last call before `identifier` in its scope that consumed the same variable. */
function earlierConsumer(tsApi: typeof ts, scope: ts.Node, identifier: ts.Identifier, file: ts.SourceFile): ts.Node | null {
  let found: ts.Node | null = null;
  const visit = (node: ts.Node): void => {
    if (node.getStart(file) >= identifier.getStart(file)) return;
    if (tsApi.isIdentifier(node) && node.text === identifier.text && declaringScope(tsApi, node) === scope) {
      const consumer = consumingCall(tsApi, node);
      if (consumer && consumer.end <= identifier.getStart(file)) found = consumer;
    }
    tsApi.forEachChild(node, visit);
  };
  tsApi.forEachChild(scope, visit);
  return found;
}

/** The call that `identifier` is handed to (as an argument or a consumed receiver), if any. */
function consumingCall(tsApi: typeof ts, identifier: ts.Identifier): ts.Node | null {
  const parent = identifier.parent;
  if ((tsApi.isCallExpression(parent) || tsApi.isNewExpression(parent)) && parent.arguments?.some((a) => unwrap(tsApi, a) === identifier)) return parent;
  if (tsApi.isPropertyAccessExpression(parent) && parent.expression === identifier && tsApi.isCallExpression(parent.parent) && parent.parent.expression === parent) {
    return KEEPS_RECEIVER.has(parent.name.text) ? null : parent.parent;
  }
  if (tsApi.isParenthesizedExpression(parent) || tsApi.isAsExpression(parent) || tsApi.isNonNullExpression(parent)) {
    const outer = parent.parent;
    if ((tsApi.isCallExpression(outer) || tsApi.isNewExpression(outer)) && outer.arguments?.includes(parent as ts.Expression)) return outer;
  }
  return null;
}

/** The outermost loop around `node` inside the scope that declares its variable. */
function loopWithin(tsApi: typeof ts, node: ts.Node, scope: ts.Node): ts.Node | null {
  let loop: ts.Node | null = null;
  for (let n = node.parent; n && n !== scope; n = n.parent) {
    if (tsApi.isIterationStatement(n, false)) loop = n;
    if (tsApi.isFunctionLike(n)) return null;
  }
  return loop;
}

/** Whether `name = ...` happens inside `node` (a loop that re-binds a variable gives it a new array each time). */
function assignedWithin(tsApi: typeof ts, node: ts.Node, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (tsApi.isBinaryExpression(n) && n.operatorToken.kind === tsApi.SyntaxKind.EqualsToken && tsApi.isIdentifier(n.left) && n.left.text === name) found = true;
    if (!found) tsApi.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function functionName(tsApi: typeof ts, fn: ts.SignatureDeclaration): string {
  const name = fn.name && (tsApi.isIdentifier(fn.name) || tsApi.isPrivateIdentifier(fn.name)) ? fn.name.text : undefined;
  if (name) return `\`${name}\``;
  const parent = fn.parent;
  if (parent && tsApi.isVariableDeclaration(parent) && tsApi.isIdentifier(parent.name)) return `\`${parent.name.text}\``;
  return "a function";
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
