/**
 * Whether a console should run the code or wait for more lines
 * (`is_complete_request`, with ipykernel's meaning): `incomplete` when more
 * text could finish it (open brackets, a template literal or comment, a
 * trailing operator), `invalid` when nothing appended can fix it.
 */
import type ts from "typescript";
import type { IsCompleteReply } from "./types.js";

const INDENT = "  ";

export function isComplete(tsApi: typeof ts, code: string): IsCompleteReply {
  if (code.trim() === "") return { status: "complete" };
  const scan = scanBrackets(tsApi, code);
  if (scan === "invalid") return { status: "invalid" };
  if (scan === "unterminated") return { status: "incomplete", indent: "" };
  if (scan > 0) return { status: "incomplete", indent: INDENT.repeat(scan) };
  const file = tsApi.createSourceFile("input.ts", code, tsApi.ScriptTarget.ES2022, false, tsApi.ScriptKind.TS);
  const errors = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  if (errors.length === 0) return { status: "complete" };
  const end = code.trimEnd().length;
  // Errors only where the text stops: more text could still complete it.
  return errors.every((d) => (d.start ?? 0) >= end) ? { status: "incomplete", indent: "" } : { status: "invalid" };
}

/** Open bracket depth at the end, or why the scan stopped. */
function scanBrackets(tsApi: typeof ts, code: string): number | "invalid" | "unterminated" {
  const K = tsApi.SyntaxKind;
  const scanner = tsApi.createScanner(tsApi.ScriptTarget.ES2022, false, tsApi.LanguageVariant.Standard, code);
  const open: ts.SyntaxKind[] = [];
  const closerOf = new Map([
    [K.OpenBraceToken, K.CloseBraceToken],
    [K.OpenParenToken, K.CloseParenToken],
    [K.OpenBracketToken, K.CloseBracketToken],
  ]);
  let previous: ts.SyntaxKind = K.Unknown;
  for (let token = scanner.scan(); token !== K.EndOfFileToken; token = scanner.scan()) {
    const before = previous;
    if (!isTrivia(tsApi, token)) previous = token;
    if (token === K.CloseBraceToken && open.at(-1) === K.TemplateHead) {
      token = scanner.reScanTemplateToken(false);
      if (token === K.TemplateTail) open.pop();
      if (scanner.isUnterminated()) return "unterminated";
      continue;
    }
    if (scanner.isUnterminated()) {
      const unfinishedLine = token === K.StringLiteral;
      return unfinishedLine ? "invalid" : "unterminated";
    }
    if (token === K.TemplateHead) open.push(K.TemplateHead);
    else if (closerOf.has(token)) open.push(token);
    else if (token === K.CloseBraceToken || token === K.CloseParenToken || token === K.CloseBracketToken) {
      const top = open.pop();
      if (top === undefined || closerOf.get(top) !== token) return "invalid";
    } else if ((token === K.SlashToken || token === K.SlashEqualsToken) && !endsOperand(tsApi, before)) {
      token = scanner.reScanSlashToken();
      if (scanner.isUnterminated()) return "invalid";
    }
  }
  return open.length;
}

/** Whether a `/` after this token divides (else it starts a regular expression). */
function endsOperand(tsApi: typeof ts, kind: ts.SyntaxKind): boolean {
  const K = tsApi.SyntaxKind;
  return (
    kind === K.Identifier ||
    kind === K.NumericLiteral ||
    kind === K.BigIntLiteral ||
    kind === K.StringLiteral ||
    kind === K.NoSubstitutionTemplateLiteral ||
    kind === K.TemplateTail ||
    kind === K.CloseParenToken ||
    kind === K.CloseBracketToken ||
    kind === K.CloseBraceToken ||
    kind === K.ThisKeyword ||
    kind === K.PlusPlusToken ||
    kind === K.MinusMinusToken
  );
}

function isTrivia(tsApi: typeof ts, kind: ts.SyntaxKind): boolean {
  const K = tsApi.SyntaxKind;
  return (
    kind === K.WhitespaceTrivia ||
    kind === K.NewLineTrivia ||
    kind === K.SingleLineCommentTrivia ||
    kind === K.MultiLineCommentTrivia ||
    kind === K.ShebangTrivia ||
    kind === K.ConflictMarkerTrivia
  );
}
