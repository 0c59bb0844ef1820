/**
 * Line magics: lines at the top of a cell that start with `%`. Each is
 * handled before the cell's code runs and is replaced by an empty line, so
 * the code's line numbers stay as the user sees them. Later magics (`%save`,
 * `%restore`, `%checkpoints`, `%eval_shape`) plug in with `register`.
 */
import type { CellIO } from "./types.js";

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

/** Handles `%name args`; throws a `UsageError` for bad arguments. */
export type MagicHandler = (args: string, context: MagicContext) => void | Promise<void>;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface MagicLine {
  name: string;
  args: string;
}

export class MagicRegistry {
  private readonly handlers = new Map<string, MagicHandler>();

  register(name: string, handler: MagicHandler): void {
    if (this.handlers.has(name)) throw new Error(`magic %${name} is registered twice`);
    this.handlers.set(name, handler);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Splits the leading magic lines off `code`; the code keeps its line count. */
  split(code: string): { magics: MagicLine[]; code: string } {
    const lines = code.split("\n");
    const magics: MagicLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "" || line.startsWith("//")) continue;
      if (!line.startsWith("%")) break;
      const match = /^%(\S+)\s*(.*)$/.exec(line)!;
      magics.push({ name: match[1]!, args: match[2]!.trim() });
      lines[i] = "";
    }
    return { magics, code: lines.join("\n") };
  }

  async run(magic: MagicLine, context: MagicContext): Promise<void> {
    const handler = this.handlers.get(magic.name);
    if (!handler) {
      throw new UsageError(`unknown magic %${magic.name}; known magics: ${this.names().map((n) => "%" + n).join(", ")}`);
    }
    await handler(magic.args, context);
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
