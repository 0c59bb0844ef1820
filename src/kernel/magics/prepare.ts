/**
 * The pre-pass over a cell, before the transform and the type check: every
 * line that starts with `%` where a statement may start (not inside a
 * string, template or comment) is a magic line. Each is checked and
 * rewritten in place (parse.ts), so line numbers stay; prepare-time magics
 * (`%typecheck`, `%name?`) become actions the executor runs before the cell
 * and their lines go blank; `%%time` on the first line times the whole cell.
 * Every line is checked before any action runs: one bad magic and nothing
 * of the cell runs.
 */
import type ts from "typescript";
import type { ExecuteOutcome } from "../exec/types.js";
import { rewriteMagic, splitWords, type LinePlace } from "./parse.js";
import { UsageError, type MagicContext, type MagicRegistry } from "./registry.js";
import { timeCell } from "./timing.js";

export interface PreparedCell {
  /** The cell with its magic lines rewritten (same lines). */
  code: string;
  /** Prepare-time magics, in order, to run before the cell. */
  actions: ((context: MagicContext) => void | Promise<void>)[];
  /** Runs the cell: itself, or timed by `%%time`. `run` calls `started` once the cell is checked and compiled, as its code begins. */
  around(run: (started: () => void) => Promise<ExecuteOutcome>, context: MagicContext): Promise<ExecuteOutcome>;
}

interface MagicLine {
  index: number;
  indent: string;
  /** `%name` or `%%name` without the percent signs. */
  name: string;
  cell: boolean;
  /** Text after the name. */
  args: string;
  /** Column where `args` starts. */
  argsColumn: number;
  /** `%name?`: a request for the usage. */
  help: boolean;
}

const MAGIC_LINE = /^(\s*)(%%?)([A-Za-z_][\w]*)(\?)?(.*)$/s;

export function prepareCell(tsApi: typeof ts, code: string, registry: MagicRegistry, label: string): PreparedCell {
  const lines = code.split("\n");
  const actions: PreparedCell["actions"] = [];
  let around: PreparedCell["around"] = (run) => run(() => undefined);
  const firstWithText = lines.findIndex((l) => l.trim() !== "");
  for (const magic of findMagicLines(lines)) {
    const place: LinePlace = { label, line: magic.index + 1, column: magic.argsColumn };
    if (magic.help) {
      if (magic.args.trim() !== "") throw new UsageError(`%${magic.name}? takes nothing after the '?'`);
      const usage = registry.usage(magic.name);
      actions.push((context) => context.io.stream("stdout", usage));
      lines[magic.index] = "";
      continue;
    }
    if (magic.cell) {
      if (magic.index !== firstWithText) throw new UsageError(`%%${magic.name} must be on the first line of the cell (line ${magic.index + 1})`);
      if (!registry.cellMagicNames().includes(magic.name)) {
        throw new UsageError(`unknown cell magic %%${magic.name}; cell magics: ${registry.cellMagicNames().map((n) => "%%" + n).join(", ")}`);
      }
      if (magic.args.trim() !== "") throw new UsageError(`%%${magic.name} takes nothing on its line; the rest of the cell is what it applies to`);
      around = (run, context) => timeCell(context.io, run);
      lines[magic.index] = "";
      continue;
    }
    const found = registry.require(magic.name);
    if (found.kind === "prepare") {
      const args = magic.args.trim();
      actions.push((context) => found.handler(args, context));
      lines[magic.index] = "";
      continue;
    }
    lines[magic.index] = magic.indent + rewriteMagic(tsApi, found.magic, magic.args, place).statement;
  }
  return { code: lines.join("\n"), actions, around };
}

/**
 * The cell as completion and `is_complete` should see it: each magic line
 * keeps only its operands (`%restore m = new ML` → `m = new ML`), at their
 * columns, so the type checker completes inside them; the rest becomes
 * spaces, so every offset in the cell stays where it was.
 */
export function withoutMagicSyntax(code: string, registry: MagicRegistry): string {
  const lines = code.split("\n");
  for (const magic of findMagicLines(lines)) {
    const blank = " ".repeat(magic.argsColumn);
    const spec = registry.runtimeMagic(magic.name);
    const keepsCode = spec && !magic.help && !magic.cell && spec.operands.kind !== "none" && spec.operands.kind !== "words";
    if (!keepsCode) {
      lines[magic.index] = " ".repeat(lines[magic.index]!.length);
      continue;
    }
    let rest = magic.args;
    // Flags and their values go blank; a statement's flags come first.
    const words = splitWords(rest);
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      const flag = spec.flags.find((f) => word.text === `--${f.name}` || word.text.startsWith(`--${f.name}=`) || (f.short && word.text === `-${f.short}`));
      if (!flag) {
        if (spec.operands.kind === "statement") break;
        continue;
      }
      const end = flag.value.kind === "switch" || word.text.includes("=") || !words[i + 1] ? word.start + word.text.length : words[i + 1]!.start + words[i + 1]!.text.length;
      if (flag.value.kind !== "switch" && !word.text.includes("=")) i++;
      rest = rest.slice(0, word.start) + " ".repeat(end - word.start) + rest.slice(end);
    }
    lines[magic.index] = blank + rest;
  }
  return lines.join("\n");
}

/** Whether the cell is a `%%magic` cell with nothing after its first line yet (a console waits for the body). */
export function cellMagicWithoutBody(code: string): boolean {
  const lines = code.split("\n");
  const first = lines.findIndex((l) => l.trim() !== "");
  return first >= 0 && /^\s*%%\w+/.test(lines[first]!) && lines.slice(first + 1).every((l) => l.trim() === "");
}

/** Magic lines: `%` first on a line that starts outside strings, templates and comments. */
function findMagicLines(lines: string[]): MagicLine[] {
  const starts = lineStartsInCode(lines);
  const found: MagicLine[] = [];
  lines.forEach((line, index) => {
    if (!starts[index]) return;
    const match = MAGIC_LINE.exec(line);
    if (!match) return;
    const [, indent, percents, name, help, args] = match as unknown as [string, string, string, string, string | undefined, string];
    const cell = percents === "%%";
    found.push({ index, indent, name, cell, args, argsColumn: indent.length + percents.length + name.length + (help ? 1 : 0), help: help !== undefined });
  });
  return found;
}

/**
 * For each line, whether it starts in code. A small scanner (strings,
 * templates with `${}` nesting, comments); magic lines themselves are
 * skipped, so their quotes and braces cannot confuse it.
 */
function lineStartsInCode(lines: string[]): boolean[] {
  type Mode = "code" | "block-comment" | "template";
  const stack: Mode[] = ["code"];
  /** Brace depth inside each `${` of a template, innermost last. */
  const braces: number[] = [];
  const result: boolean[] = [];
  for (const line of lines) {
    const mode = stack.at(-1)!;
    result.push(mode === "code");
    if (mode === "code" && /^\s*%/.test(line)) continue;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      const top = stack.at(-1)!;
      if (top === "block-comment") {
        if (c === "*" && line[i + 1] === "/") {
          stack.pop();
          i++;
        }
        continue;
      }
      if (top === "template") {
        if (c === "\\") i++;
        else if (c === "`") stack.pop();
        else if (c === "$" && line[i + 1] === "{") {
          stack.push("code");
          braces.push(0);
          i++;
        }
        continue;
      }
      if (c === "/" && line[i + 1] === "/") break;
      if (c === "/" && line[i + 1] === "*") {
        stack.push("block-comment");
        i++;
      } else if (c === '"' || c === "'") {
        for (i++; i < line.length && line[i] !== c; i++) if (line[i] === "\\") i++;
      } else if (c === "`") stack.push("template");
      else if (c === "{" && braces.length > 0) braces[braces.length - 1]!++;
      else if (c === "}" && braces.length > 0) {
        if (braces[braces.length - 1] === 0) {
          braces.pop();
          stack.pop();
        } else braces[braces.length - 1]!--;
      }
    }
  }
  return result;
}
