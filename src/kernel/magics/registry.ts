/**
 * The magic registry: what each magic accepts (its flags and operands, for
 * static validation, completion and `%name?`) and what it does. Two kinds:
 *
 * - runtime magics (`%save`, `%time`, ...) are rewritten into a call of the
 *   notebook's `__tsnnxMagic` (see prepare.ts), so their operands are
 *   expressions evaluated in the cell's own scope, where the line stands;
 * - prepare-time magics (`%typecheck`, and those added through
 *   `Executor.registerMagic`) change how the cell itself is prepared, so they
 *   run before the cell does and their line is blanked.
 */
import type { CellIO } from "../exec/types.js";

export interface MagicContext {
  io: CellIO;
  /** Whether cells are type-checked before they run. */
  typecheck: boolean;
  /** The notebook's top-level bindings (`%save model` reads them, `%restore` sets them). */
  notebook: NotebookBindings;
}

export interface NotebookBindings {
  has(name: string): boolean;
  get(name: string): unknown;
  /** Binds `name` (releasing the array it held: the binding takes over `value`'s reference). */
  set(name: string, value: unknown): void;
  names(): string[];
}

/** Handles a prepare-time `%name args`; throws a `UsageError` for bad arguments. */
export type MagicHandler = (args: string, context: MagicContext) => void | Promise<void>;

/** A magic used wrongly: reported as IPython does, the message alone (no stack: nothing of the cell ran). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
    this.stack = `UsageError: ${message}`;
  }
}

/** A flag's value: checked when the cell is prepared, or at run time where it is interpolated (`{expr}`). */
export type FlagKind =
  | { kind: "switch" }
  | { kind: "integer"; min: number }
  | { kind: "string" }
  | { kind: "json" }
  | { kind: "choice"; choices: readonly string[] }
  /** A step number, or `latest` / `best`. */
  | { kind: "step" };

export interface FlagSpec {
  /** `--long` spelling without dashes (short spellings as IPython's `-n` are listed separately). */
  name: string;
  short?: string;
  value: FlagKind;
  help: string;
}

/**
 * What follows the magic's name besides flags:
 * - `none`;
 * - `expression`: one TypeScript expression;
 * - `binding-or-expression`: `name = expression` binds `name` to what the magic returns;
 * - `statement`: a statement or expression, after the flags (`%timeit -n 10 f(x)`);
 * - `words`: plain words (`%device wasm`), at most `max`;
 * - `steps-or-expressions`: `count` operands separated by spaces, each a step number or an expression.
 */
export type OperandKind =
  | { kind: "none" }
  | { kind: "expression" }
  | { kind: "binding-or-expression" }
  | { kind: "statement" }
  | { kind: "words"; max: number; choices?: readonly string[] }
  | { kind: "steps-or-expressions"; count: number };

/**
 * A runtime magic's call as the cell makes it: flag values by long name
 * (checked again at run time, where `{expr}` gave them), and operands in
 * order: a function for an expression (evaluated when the magic wants it),
 * a number for a step written as one, a string for a word.
 */
export interface MagicCall {
  flags: Record<string, unknown>;
  operands: unknown[];
  /** `value`: the line's value is used (`const name = %restore ...`, `%time const y = f(x)`, `%time f(x)`). */
  form: "statement" | "value";
}

export interface RuntimeMagic {
  name: string;
  /** One line, for `%lsmagic` and `%name?`. */
  summary: string;
  /** The synopsis after `%name`, IPython style: `<expr> [--dir DIR]`. */
  synopsis: string;
  flags: readonly FlagSpec[];
  operands: OperandKind;
  /** Also a cell magic (`%%name` on a cell's first line). */
  cell?: boolean;
  /** Runs the magic; what it returns is the value of the magic line (a statement's result). */
  run(call: MagicCall): Promise<unknown>;
}

export class MagicRegistry {
  private readonly prepareHandlers = new Map<string, { handler: MagicHandler; usage: string }>();
  private readonly runtime = new Map<string, RuntimeMagic>();

  /** Adds a prepare-time magic (its handler gets the line's text after the name). */
  register(name: string, handler: MagicHandler, usage = `%${name} ...`): void {
    this.checkFree(name);
    this.prepareHandlers.set(name, { handler, usage });
  }

  add(magic: RuntimeMagic): void {
    this.checkFree(magic.name);
    this.runtime.set(magic.name, magic);
  }

  private checkFree(name: string): void {
    if (this.prepareHandlers.has(name) || this.runtime.has(name)) throw new Error(`magic %${name} is registered twice`);
  }

  names(): string[] {
    return [...this.prepareHandlers.keys(), ...this.runtime.keys()].sort();
  }

  cellMagicNames(): string[] {
    return [...this.runtime.values()].filter((m) => m.cell).map((m) => m.name).sort();
  }

  prepareHandler(name: string): MagicHandler | undefined {
    return this.prepareHandlers.get(name)?.handler;
  }

  runtimeMagic(name: string): RuntimeMagic | undefined {
    return this.runtime.get(name);
  }

  /** The magic named, or a UsageError listing the known ones. */
  require(name: string): { kind: "prepare"; handler: MagicHandler } | { kind: "runtime"; magic: RuntimeMagic } {
    const handler = this.prepareHandler(name);
    if (handler) return { kind: "prepare", handler };
    const magic = this.runtimeMagic(name);
    if (magic) return { kind: "runtime", magic };
    throw new UsageError(`unknown magic %${name}; known magics: ${this.names().map((n) => "%" + n).join(", ")}`);
  }

  /** `%name?`: the magic's usage, flags and summary. */
  usage(name: string): string {
    const prepared = this.prepareHandlers.get(name);
    if (prepared) return prepared.usage + "\n";
    const magic = this.runtime.get(name);
    if (!magic) throw new UsageError(`unknown magic %${name}; known magics: ${this.names().map((n) => "%" + n).join(", ")}`);
    const lines = [`%${name} ${magic.synopsis}`.trimEnd(), "", magic.summary];
    if (magic.cell) lines.push("", `As a cell magic: %%${name} on the cell's first line applies to the whole cell.`);
    if (magic.flags.length > 0) {
      lines.push("", "Flags:");
      const spelled = magic.flags.map((f) => `  ${f.short ? `-${f.short}, ` : ""}--${f.name}${f.value.kind === "switch" ? "" : " " + f.name.toUpperCase()}`);
      const width = Math.max(...spelled.map((s) => s.length)) + 2;
      magic.flags.forEach((f, i) => lines.push(spelled[i]!.padEnd(width) + f.help));
    }
    return lines.join("\n") + "\n";
  }
}

export const typecheckMagic: MagicHandler = (args, context) => {
  if (args === "on" || args === "off") {
    context.typecheck = args === "on";
    return;
  }
  if (args === "") {
    context.io.stream("stdout", `type checking is ${context.typecheck ? "on" : "off"}\n`);
    return;
  }
  throw new UsageError(`%typecheck takes 'on' or 'off', got '${args}'`);
};

export const TYPECHECK_USAGE = "%typecheck [on|off]\n\nType-check cells before they run (on, the default) or not; without an argument, says which.";
