/**
 * One magic line to one TypeScript statement, on the same line: the flags
 * are checked here, statically (an unknown flag, a missing value, `--step x`
 * are usage errors before anything of the cell runs), and the operands
 * become expressions of the cell, so they see its locals and are type-checked.
 *
 *   %save model --step {i}   →  await __tsnnxMagic("save", {"step": (i)}, () => (model));
 *   %restore m = new MLP(2)  →  const m = await __tsnnxMagicValue("restore", {}, () => (new MLP(2)));
 *
 * `{expr}` in a flag value is IPython's interpolation: the value is the
 * expression's (the whole value) or a template string (part of it).
 */
import type ts from "typescript";
import { UsageError, type FlagKind, type FlagSpec, type RuntimeMagic } from "./registry.js";

export const MAGIC_FUNCTION = "__tsnnxMagic";
export const MAGIC_VALUE_FUNCTION = "__tsnnxMagicValue";

/** A syntax error in a magic's operand: reported as the cell's SyntaxError at the magic's line. */
export class MagicSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyntaxError";
    this.stack = `SyntaxError: ${message}`;
  }
}

export interface Token {
  text: string;
  /** Offset in the text that was split. */
  start: number;
}

/**
 * Splits at spaces outside quotes and brackets (`new MLP(2, 3)` and
 * `{"a": 1}` stay whole); a word starting with `//` starts a comment, which
 * ends the line (left in place it would swallow the rest of the rewritten statement).
 */
export function splitWords(text: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (start < 0) {
      if (/\s/.test(c)) continue;
      if (c === "/" && text[i + 1] === "/") break;
      start = i;
    }
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
    else if (/\s/.test(c) && depth === 0) {
      tokens.push({ text: text.slice(start, i), start });
      start = -1;
    }
  }
  if (start >= 0) tokens.push({ text: text.slice(start), start });
  return tokens;
}

/** Where a magic line sits, for error messages. */
export interface LinePlace {
  label: string;
  /** 1-based line number in the cell. */
  line: number;
  /** 0-based column where the text after the magic's name starts. */
  column: number;
}

/** A rewritten magic line: the statement, and the name it binds (`%restore name = ...`). */
export interface Rewritten {
  statement: string;
  binding?: string;
}

export function rewriteMagic(tsApi: typeof ts, magic: RuntimeMagic, args: string, place: LinePlace): Rewritten {
  const usage = (message: string): UsageError => new UsageError(`%${magic.name}: ${message} (usage: %${magic.name} ${magic.synopsis})`);
  const tokens = splitWords(args);
  const flags: string[] = [];
  const operandTokens: Token[] = [];
  const seen = new Set<string>();
  let i = 0;
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    const flag = flagOf(magic, token.text);
    if (flag === null) {
      // A statement's flags come first (`%timeit -n 10 f(x)`): the rest is the statement.
      if (magic.operands.kind === "statement") break;
      operandTokens.push(token);
      continue;
    }
    if (flag === "unknown") {
      const known = magic.flags.map((f) => `--${f.name}`).join(", ") || "none";
      throw usage(`unknown flag ${token.text.split("=")[0]} (flags: ${known})`);
    }
    if (seen.has(flag.name)) throw usage(`--${flag.name} is given twice`);
    seen.add(flag.name);
    const inline = token.text.includes("=") && token.text.startsWith("--") ? token.text.slice(token.text.indexOf("=") + 1) : undefined;
    if (flag.value.kind === "switch") {
      if (inline !== undefined) throw usage(`--${flag.name} takes no value`);
      flags.push(`${JSON.stringify(flag.name)}: true`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || flagOf(magic, next.text) !== null) throw usage(`--${flag.name} needs a value (${describeKind(flag.value)})`);
      value = next.text;
      i++;
    }
    flags.push(`${JSON.stringify(flag.name)}: ${flagValueSource(tsApi, flag, value, usage)}`);
  }
  const flagsSource = `{${flags.join(", ")}}`;
  const call = (fn: string, operands: string[]) => `await ${fn}(${JSON.stringify(magic.name)}, ${[flagsSource, ...operands].join(", ")})`;
  const rest = tokens.slice(i);
  const restText = rest.length > 0 ? args.slice(rest[0]!.start, rest.at(-1)!.start + rest.at(-1)!.text.length) : "";
  const operandText = operandTokens.map((t) => t.text).join(" ");
  const at = (token: Token | undefined) => ({ ...place, column: place.column + (token?.start ?? 0) });

  switch (magic.operands.kind) {
    case "none":
      if (operandTokens.length > 0) throw usage(`unexpected '${operandText}'`);
      return { statement: `${call(MAGIC_FUNCTION, [])};` };
    case "words": {
      const { max, choices } = magic.operands;
      if (operandTokens.length > max) throw usage(`takes at most ${max} word${max === 1 ? "" : "s"}, got '${operandText}'`);
      for (const t of operandTokens) {
        if (choices && !choices.includes(t.text)) throw usage(`'${t.text}' is not one of ${choices.join(", ")}`);
      }
      return { statement: `${call(MAGIC_FUNCTION, operandTokens.map((t) => interpolatedString(tsApi, unquote(t.text), usage)))};` };
    }
    case "expression": {
      if (operandTokens.length === 0) throw usage("an expression is missing");
      checkExpression(tsApi, operandText, at(operandTokens[0]), magic.name);
      return { statement: `${call(MAGIC_FUNCTION, [`() => (${operandText})`])};` };
    }
    case "binding-or-expression": {
      if (operandTokens.length === 0) throw usage("an expression is missing");
      const binding = /^([A-Za-z_$][\w$]*)\s*=(?!=)\s*(.*)$/s.exec(operandText);
      if (binding) {
        const [, name, expression] = binding as unknown as [string, string, string];
        if (expression.trim() === "") throw usage(`an expression is missing after '${name} ='`);
        checkExpression(tsApi, expression, at(operandTokens[0]), magic.name);
        return { statement: `const ${name} = ${call(MAGIC_VALUE_FUNCTION, [`() => (${expression})`])};`, binding: name };
      }
      checkExpression(tsApi, operandText, at(operandTokens[0]), magic.name);
      return { statement: `${call(MAGIC_FUNCTION, [`() => (${operandText})`])};` };
    }
    case "steps-or-expressions": {
      const { count } = magic.operands;
      if (operandTokens.length !== count) throw usage(`takes ${count} operands (step numbers or expressions), got ${operandTokens.length}`);
      const operands = operandTokens.map((t) => {
        if (/^\d+$/.test(t.text)) return t.text;
        checkExpression(tsApi, t.text, at(t), magic.name);
        return `() => (${t.text})`;
      });
      return { statement: `${call(MAGIC_FUNCTION, operands)};` };
    }
    case "statement":
      return rewriteStatement(tsApi, magic.name, restText, at(rest[0]), call, usage);
  }
}

/**
 * `%time f(x)` times and gives the value; `%time const y = f(x)` binds `y`
 * in the cell (as IPython's `%time y = f(x)` does); any other statement runs
 * as the body of a function.
 */
function rewriteStatement(
  tsApi: typeof ts,
  name: string,
  text: string,
  place: LinePlace,
  call: (fn: string, operands: string[]) => string,
  usage: (message: string) => UsageError,
): Rewritten {
  if (text === "") throw usage("a statement to time is missing");
  const file = parse(tsApi, text);
  checkSyntax(tsApi, file, text.length, 0, place, name);
  const awaits = containsAwait(tsApi, file);
  const arrow = awaits ? "async () =>" : "() =>";
  const statement = file.statements.length === 1 ? file.statements[0]! : undefined;
  if (statement && tsApi.isExpressionStatement(statement)) {
    return { statement: `${call(MAGIC_VALUE_FUNCTION, [`${arrow} (${statement.expression.getText(file)})`])};` };
  }
  if (statement && tsApi.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
    const declaration = statement.declarationList.declarations[0]!;
    if (tsApi.isIdentifier(declaration.name) && declaration.initializer && !declaration.type) {
      const flags = statement.declarationList.flags;
      const keyword = flags & tsApi.NodeFlags.Const ? "const" : flags & tsApi.NodeFlags.Let ? "let" : "var";
      return {
        statement: `${keyword} ${declaration.name.text} = ${call(MAGIC_VALUE_FUNCTION, [`${arrow} (${declaration.initializer.getText(file)})`])};`,
        binding: declaration.name.text,
      };
    }
  }
  return { statement: `${call(MAGIC_FUNCTION, [`${arrow} { ${text} }`])};` };
}

function parse(tsApi: typeof ts, text: string): ts.SourceFile {
  return tsApi.createSourceFile("magic.ts", text, tsApi.ScriptTarget.ES2022, true, tsApi.ScriptKind.TS);
}

function containsAwait(tsApi: typeof ts, file: ts.SourceFile): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (tsApi.isAwaitExpression(node) || (tsApi.isForOfStatement(node) && node.awaitModifier)) found = true;
    else if (!tsApi.isFunctionLike(node)) tsApi.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** `text` must be one expression: `model`, `new MLP(2, 3)`, `{ model, optimizer }`. */
function checkExpression(tsApi: typeof ts, text: string, place: LinePlace, magic: string): void {
  const wrapped = `(${text}\n)`;
  const file = parse(tsApi, wrapped);
  checkSyntax(tsApi, file, text.length, 1, place, magic);
  const only = file.statements.length === 1 ? file.statements[0] : undefined;
  if (!only || !tsApi.isExpressionStatement(only)) {
    throw new MagicSyntaxError(`${place.label}:${place.line}:${place.column + 1} - %${magic}: '${text}' is not one expression`);
  }
}

/** Throws the first parse error of `file`, placed in the cell; `offset` is what wrapping added before the operand's `length` characters. */
function checkSyntax(tsApi: typeof ts, file: ts.SourceFile, length: number, offset: number, place: LinePlace, magic: string): void {
  const errors = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  if (errors.length === 0) return;
  const first = errors[0]!;
  const column = place.column + Math.max(0, Math.min((first.start ?? 0) - offset, length));
  const message = tsApi.flattenDiagnosticMessageText(first.messageText, "\n");
  throw new MagicSyntaxError(`${place.label}:${place.line}:${column + 1} - error TS${first.code}: %${magic}: ${message}`);
}

/** The flag a word spells, "unknown" for a word that looks like a flag but is none, null for an operand. */
function flagOf(magic: RuntimeMagic, word: string): FlagSpec | "unknown" | null {
  const long = /^--([A-Za-z][\w-]*)(=.*)?$/s.exec(word);
  if (long) return magic.flags.find((f) => f.name === long[1]) ?? "unknown";
  const short = /^-([A-Za-z])$/.exec(word);
  if (short) return magic.flags.find((f) => f.short === short[1]) ?? "unknown";
  return null;
}

function describeKind(kind: FlagKind): string {
  switch (kind.kind) {
    case "integer":
      return `an integer >= ${kind.min}`;
    case "step":
      return "a step number, latest or best";
    case "json":
      return "JSON or {expression}";
    case "choice":
      return kind.choices.join(" or ");
    case "string":
      return "a word or a quoted string";
    case "switch":
      return "nothing";
  }
}

/** The value's source code: a literal checked now, or an interpolated expression checked when the line runs. */
function flagValueSource(tsApi: typeof ts, flag: FlagSpec, raw: string, usage: (message: string) => UsageError): string {
  const whole = wholeInterpolation(raw);
  if (flag.value.kind === "json") {
    try {
      return JSON.stringify(JSON.parse(unquote(raw)));
    } catch (error) {
      if (whole !== null && isExpression(tsApi, whole)) return `(${whole})`;
      throw usage(`--${flag.name} takes JSON or {expression}: ${(error as Error).message}`);
    }
  }
  if (whole !== null) {
    if (!isExpression(tsApi, whole)) throw usage(`--${flag.name}: '{${whole}}' is not an expression`);
    return `(${whole})`;
  }
  const text = unquote(raw);
  if (flag.value.kind === "string") return interpolatedString(tsApi, text, usage);
  const value = literalValue(flag.value, text);
  const problem = checkFlagValue(flag, value);
  if (problem) throw usage(problem);
  return JSON.stringify(value);
}

/** A literal as the flag's type: integers (and numbered steps) as numbers, everything else as written. */
function literalValue(kind: FlagKind, text: string): unknown {
  return (kind.kind === "integer" || kind.kind === "step") && /^-?\d+$/.test(text) ? Number(text) : text;
}

/** Why `value` is not a valid value of `flag`, or null: the same check for literals and interpolated values. */
export function checkFlagValue(flag: FlagSpec, value: unknown): string | null {
  const bad = () => `--${flag.name} takes ${describeKind(flag.value)}, got ${typeof value === "string" ? `'${value}'` : String(value)}`;
  switch (flag.value.kind) {
    case "switch":
      return typeof value === "boolean" ? null : bad();
    case "integer":
      return Number.isSafeInteger(value) && (value as number) >= flag.value.min ? null : bad();
    case "step":
      return (Number.isSafeInteger(value) && (value as number) >= 0) || value === "latest" || value === "best" ? null : bad();
    case "choice":
      return typeof value === "string" && flag.value.choices.includes(value) ? null : bad();
    case "string":
      return typeof value === "string" && value !== "" ? null : bad();
    case "json":
      return value !== undefined ? null : bad();
  }
}

/** `{expr}` as the whole value: the expression's text, else null. */
function wholeInterpolation(raw: string): string | null {
  const parts = splitInterpolation(raw);
  return parts.length === 1 && parts[0]!.kind === "expression" ? parts[0]!.text : null;
}

function isExpression(tsApi: typeof ts, text: string): boolean {
  if (text.trim() === "") return false;
  const file = parse(tsApi, `(${text}\n)`);
  return (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics.length === 0 && file.statements.length === 1;
}

/** A string with `{expr}` parts as a template literal; plain text as a string literal. */
function interpolatedString(tsApi: typeof ts, text: string, usage: (message: string) => UsageError): string {
  const parts = splitInterpolation(text);
  if (parts.every((p) => p.kind === "text")) return JSON.stringify(text);
  return (
    "`" +
    parts
      .map((p) => {
        if (p.kind === "text") return p.text.replace(/[`\\$]/g, (c) => "\\" + c);
        if (!isExpression(tsApi, p.text)) throw usage(`'{${p.text}}' is not an expression`);
        return "${" + p.text + "}";
      })
      .join("") +
    "`"
  );
}

function splitInterpolation(text: string): { kind: "text" | "expression"; text: string }[] {
  const parts: { kind: "text" | "expression"; text: string }[] = [];
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "{") continue;
    let depth = 0;
    let j = i;
    for (; j < text.length; j++) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}" && --depth === 0) break;
    }
    if (j >= text.length) break;
    if (i > last) parts.push({ kind: "text", text: text.slice(last, i) });
    parts.push({ kind: "expression", text: text.slice(i + 1, j) });
    last = j + 1;
    i = j;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  return text;
}
