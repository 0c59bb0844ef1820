/**
 * Runs notebook cells: magics, then a type check against everything earlier
 * cells declared, then the transformed cell inside the notebook scope, with
 * its output, errors and interruptions attributed to it.
 */
import vm from "node:vm";
import path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import type ts from "typescript";
import type { CommManager } from "../comm.js";
import { cellContext, currentCell, outsideCell, type RunningCell } from "./cell-context.js";
import { display } from "./display.js";
import { installOutputRouting } from "./output.js";
import { importFromNotebook } from "./imports.js";
import { isComplete } from "./is-complete.js";
import type { Completion, JupyterCompletionType } from "./completion.js";
import { cellAwaiting, cellCodeOver, createInterruptGate, enterCellCode, leaveCellCode, type InterruptGate } from "../interrupt-gate.js";
import { checkSigintHold } from "../sigint-hold.js";
import {
  cellMagicWithoutBody,
  completeMagic,
  createMagics,
  MagicRegistry,
  prepareCell,
  withoutMagicSyntax,
  type MagicContext,
  type MagicHandler,
} from "../magics/index.js";
import { mimeBundles } from "./mime.js";
import { cellProgress } from "./progress-binding.js";
import { NotebookScope, use, useFor } from "./scope.js";
import { isLiveArray } from "./jax-array.js";
import { NotebookTypes, identifiersIn, parseCell } from "./notebook-types.js";
import { TypeCheckInterrupted } from "./type-server.js";
import { CELL_FUNCTION, errorContent, registerCellScript } from "./traceback.js";
import { RUNTIME_PARAM } from "./transform.js";
import { TransformCache } from "./transform-cache.js";
import type {
  CellIO,
  CompleteReply,
  ErrorContent,
  ExecuteOptions,
  ExecuteOutcome,
  Executor,
  InspectReply,
  IsCompleteReply,
} from "./types.js";

const execDir = path.dirname(fileURLToPath(import.meta.url));
/** Where a cell script finds its `CellRuntime` (set just before the script runs). */
const RUNTIME_SLOT = Symbol.for("tsnnx.kernel.cellRuntime");
const RUNTIME_EXPR = `globalThis[Symbol.for("tsnnx.kernel.cellRuntime")]`;
export const INTERRUPTED = "KeyboardInterrupt";
/** What the emitted code of a cell calls (see transform.ts). */
interface CellRuntime {
  scope: Record<string, unknown>;
  use: typeof use;
  useFor: typeof useFor;
  result(value: unknown, owned: boolean): void;
  importInto(specifier: string, bindings: Record<string, string>): Promise<void>;
  import(specifier: string): Promise<unknown>;
  require(specifier: string): Promise<unknown>;
  /** Passes on what a top-level await gave, unless the cell was interrupted meanwhile. */
  resumed<T>(value: T): T;
  /** Mark the synchronous part of the cell for the interrupt gate (see interrupt-gate.ts). */
  enter(): void;
  leave(): void;
}

class InterruptedError extends Error {
  override name = INTERRUPTED;
}

export interface CreateExecutorOptions {
  /** The notebook's folder: imports resolve from here, relative files too. */
  cwd: string;
  /** The kernel's comms, bound as `comms` in cells (`comms.registerTarget`, `comms.open`). */
  comms?: CommManager;
  /** Shared with whoever raises SIGINT on this process (the kernel's I/O thread); a private one if absent. */
  interruptGate?: InterruptGate;
}

/** Loads TypeScript and jax-js (slow: the server calls it after start-up). */
export async function createExecutor(options: CreateExecutorOptions): Promise<Executor> {
  const cwd = path.resolve(options.cwd);
  const tsApi = (await import("typescript")).default;
  const tsnnx = (await import("../../index.js")) as Record<string, unknown>;
  const init = tsnnx.initRuntime;
  if (typeof init === "function") await (init as () => Promise<unknown>)();
  installOutputRouting();
  installFailureRouting();
  const kernelRoot = findKernelRoot();
  const types = new NotebookTypes(tsApi, cwd, kernelRoot, {
    tsnnxModule: path.join(execDir, "..", "..", "index.js"),
    tsnnxNames: Object.keys(tsnnx),
    displayModule: path.join(execDir, "display.js"),
    commsModule: options.comms ? path.join(execDir, "..", "comm.js") : null,
  });
  const executor = new NotebookExecutor(tsApi, cwd, tsnnx, types, options.interruptGate ?? createInterruptGate());
  if (options.comms) executor.bind("comms", options.comms);
  return executor;
}

class NotebookExecutor implements Executor {
  private readonly scope = new NotebookScope();
  private readonly magics = new MagicRegistry();
  private readonly settings = { typecheck: true };
  /** What was bound before the first cell (tsnnx, display, comms, ...): the kernel's names, which %who leaves out. */
  private kernelNames: ReadonlySet<string> | null = null;
  private running: { cell: RunningCell; interrupt: () => void } | null = null;
  /** An interrupt that came while the cell was being prepared (magics, type check): it must not start. */
  private interruptBeforeStart = false;
  private preparing = false;
  private scriptCounter = 0;
  private readonly transforms: TransformCache;

  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly cwd: string,
    tsnnx: Record<string, unknown>,
    private readonly types: NotebookTypes,
    private readonly gate: InterruptGate,
  ) {
    for (const [name, value] of Object.entries(tsnnx)) if (name !== "default") this.scope.set(name, value);
    this.scope.set("display", display);
    this.scope.set("progress", cellProgress);
    this.scope.set("input", input);
    this.scope.set("prompt", prompt);
    // CommonJS `require`, resolving from the notebook's folder.
    this.scope.set("require", createRequire(path.join(cwd, "notebook.js")));
    this.transforms = new TransformCache(ts);
    const magicFunctions = createMagics(this.magics, cwd, this.scope, (name) => this.kernelNames?.has(name) ?? true);
    for (const [name, fn] of Object.entries(magicFunctions)) this.scope.set(name, fn);
  }

  async execute(code: string, io: CellIO, options: ExecuteOptions): Promise<ExecuteOutcome> {
    const label = `cell[${options.executionCount}]`;
    this.preparing = true;
    this.interruptBeforeStart = false;
    this.kernelNames ??= new Set(this.scope.names());
    try {
      // Every magic line is checked (and rewritten in place) before anything of the cell runs.
      const prepared = prepareCell(this.ts, code, this.magics, label);
      const magicContext: MagicContext = { io, typecheck: this.settings.typecheck, notebook: this.scope };
      for (const action of prepared.actions) await action(magicContext);
      this.settings.typecheck = magicContext.typecheck;
      if (prepared.code.trim() === "") return { status: "ok" };
      return await prepared.around((started) => this.run(prepared.code, label, io, options, started), magicContext);
    } catch (error) {
      return { status: "error", ...this.describe(error) };
    } finally {
      this.preparing = false;
    }
  }

  private async run(code: string, label: string, io: CellIO, options: ExecuteOptions, started: () => void): Promise<ExecuteOutcome> {
    const identifiers = identifiersIn(this.ts, parseCell(this.ts, code));
    const transformed = this.transforms.transform(code, `${label}.ts`, new Set(this.scope.names()), identifiers);
    if (transformed.syntaxErrors.length > 0) {
      const lines = transformed.syntaxErrors.map((d) => formatSyntaxError(this.ts, d, label));
      return { status: "error", ename: "SyntaxError", evalue: lines[0]!, traceback: lines };
    }
    const typeFile = this.types.stage(code, identifiers);
    if (this.settings.typecheck) {
      const errors = this.typeErrors(typeFile, code, label);
      if (errors.length > 0) {
        const evalue = errors.length === 1 ? errors[0]! : `${errors.length} type errors (run %typecheck off to run anyway)`;
        return { status: "error", ename: "TSError", evalue, traceback: errors };
      }
    }
    const scriptName = `tsnnx-cell-${++this.scriptCounter}.js`;
    // The wrapper's first line is numbered 0, so the cell's JavaScript starts at line 1.
    // enter/leave run inside the script, so the gate is open only while the SIGINT watchdog is armed;
    // for an async cell they bracket the synchronous start of its function (up to the first await).
    const wrapped =
      `${RUNTIME_EXPR}.enter(); try { (async function ${CELL_FUNCTION}(${RUNTIME_PARAM}) { with (${RUNTIME_PARAM}.scope) {\n${transformed.js}\n` +
      `}})(${RUNTIME_EXPR}) } finally { ${RUNTIME_EXPR}.leave() }`;
    registerCellScript(scriptName, label, transformed.sourceMap, wrapped.split("\n").length - 1);
    const script = new vm.Script(wrapped, { filename: scriptName, lineOffset: -1 });
    for (const { name, kind } of transformed.declared) {
      if (kind === "enum" || kind === "namespace") this.scope.set(name, undefined);
      else if (kind !== "type") this.scope.declare(name);
    }
    this.types.commit(typeFile);
    // Let a SIGINT that arrived during the type check reach its handler: once
    // a synchronous loop runs, nothing but breakOnSigint gets through.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.interruptBeforeStart) throw new InterruptedError("the cell was interrupted before it started");
    this.preparing = false;
    started();

    const result: { value?: unknown; owned: boolean; set: boolean } = { owned: false, set: false };
    let interrupted = false;
    const runtime: CellRuntime = {
      scope: this.scope.bindings,
      use,
      useFor,
      result: (value, owned) => Object.assign(result, { value, owned, set: true }),
      importInto: (specifier, bindings) => this.importInto(specifier, bindings),
      import: (specifier) => importFromNotebook(this.cwd, specifier),
      require: async (specifier) => {
        const module = await importFromNotebook(this.cwd, specifier);
        return module.default ?? module;
      },
      resumed: (value) => {
        if (interrupted) throw new InterruptedError("the cell was interrupted");
        return value;
      },
      enter: () => enterCellCode(this.gate),
      leave: () => leaveCellCode(this.gate),
    };
    let stop!: (error: unknown) => void;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined);
    const cell: RunningCell = {
      io,
      executionCount: options.executionCount,
      running: true,
      pending: new Set(),
      fail: (error) => stop(error),
    };
    this.running = {
      cell,
      interrupt: () => {
        interrupted = true;
        stop(new InterruptedError("the cell was interrupted"));
      },
    };
    try {
      // breakOnSigint lets SIGINT stop synchronous cell code. Where the
      // kernel's SIGINT hold has been given up (sigint-hold.ts), a SIGINT that
      // lands just as the script ends gets the default action, which is why
      // the kernel raises SIGINT only through the interrupt gate.
      checkSigintHold();
      const finished = cellContext.run(cell, () => {
        (globalThis as Record<symbol, unknown>)[RUNTIME_SLOT] = runtime;
        try {
          return script.runInThisContext({ breakOnSigint: true }) as Promise<void>;
        } finally {
          cellCodeOver(this.gate);
        }
      });
      finished.catch(() => undefined); // reported through the race below
      cellAwaiting(this.gate, true);
      await Promise.race([finished, stopped]);
      while (cell.pending.size > 0) await Promise.race([Promise.all(cell.pending), stopped]);
      // A promise as the last value (`display(x)`, a forgotten await) shows what it resolves to.
      const value = isPromiseLike(result.value) ? await Promise.race([result.value, stopped]) : result.value;
      while (cell.pending.size > 0) await Promise.race([Promise.all(cell.pending), stopped]);
      if (!result.set || value === undefined || options.silent) return { status: "ok" };
      const bundles = await Promise.race([mimeBundles(value), stopped]);
      if (result.owned && isLiveArray(value)) value.dispose();
      // A value shown as several outputs: all but the last as display data, the last as the cell's result.
      for (const bundle of bundles.slice(0, -1)) io.display(bundle, {}, {}, false);
      return { status: "ok", result: { data: bundles.at(-1)!, metadata: {} } };
    } finally {
      cellAwaiting(this.gate, false);
      cell.running = false;
      cell.fail = (error) => reportLate(cell, this.describe(error));
      this.running = null;
    }
  }

  private async importInto(specifier: string, bindings: Record<string, string>): Promise<void> {
    const module = await importFromNotebook(this.cwd, specifier);
    const fallback = module.default as Record<string, unknown> | undefined;
    for (const [key, local] of Object.entries(bindings)) {
      let value: unknown;
      if (key === "*") value = module;
      else if (key === "default" || key in module) value = module[key];
      else value = typeof fallback === "object" && fallback !== null ? fallback[key] : undefined;
      this.scope.set(local, value);
    }
  }

  private describe(error: unknown): ErrorContent {
    if ((error as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") {
      return { ename: INTERRUPTED, evalue: "the cell was interrupted (SIGINT)", traceback: [`${INTERRUPTED}: the cell was interrupted (SIGINT)`] };
    }
    if (error instanceof InterruptedError) {
      return { ename: INTERRUPTED, evalue: error.message, traceback: [`${INTERRUPTED}: ${error.message}`] };
    }
    return errorContent(error);
  }

  interrupt(): void {
    if (this.running) this.running.interrupt();
    else if (this.preparing) this.interruptBeforeStart = true;
  }

  /** Binds a notebook name from the kernel's side (`comms`). */
  bind(name: string, value: unknown): void {
    this.scope.set(name, value);
  }

  private typeErrors(typeFile: string, code: string, label: string): string[] {
    try {
      return this.types.errors(typeFile, code, label);
    } catch (error) {
      if (error instanceof TypeCheckInterrupted) throw new InterruptedError("the cell was interrupted during its type check");
      throw error;
    }
  }

  registerMagic(name: string, handler: MagicHandler): void {
    this.magics.register(name, handler);
  }

  async complete(code: string, cursorPos: number): Promise<CompleteReply> {
    const cursor = utf16Offset(code, cursorPos);
    let start = cursor;
    while (start > 0 && /[\w$]/.test(code[start - 1]!)) start--;
    const prefix = code.slice(start, cursor);
    const reply = (replaceFrom: number, matches: readonly Completion[]): CompleteReply => {
      const cursorStart = codePointOffset(code, replaceFrom);
      const types: JupyterCompletionType[] = matches.map((m) => ({ start: cursorStart, end: cursorPos, ...m }));
      return { matches: matches.map((m) => m.text), cursorStart, cursorEnd: cursorPos, metadata: { _jupyter_types_experimental: types } };
    };
    const lineStart = code.lastIndexOf("\n", cursor - 1) + 1;
    const magic = completeMagic(this.magics, code.slice(lineStart, cursor));
    if (magic) {
      const typed = magic.matches.map((text) => ({ text, type: text.startsWith("-") ? "param" : "magic", signature: "" }));
      return reply(lineStart + magic.start, typed);
    }
    return reply(start, this.types.completions(withoutMagicSyntax(code, this.magics), cursor, prefix));
  }

  async inspect(code: string, cursorPos: number, _detailLevel: 0 | 1): Promise<InspectReply> {
    const info = this.types.quickInfo(code, utf16Offset(code, cursorPos));
    if (!info) return { found: false, data: {}, metadata: {} };
    const doc = info.documentation ? `\n\n${info.documentation}` : "";
    return {
      found: true,
      data: { "text/plain": info.signature + doc, "text/markdown": "```ts\n" + info.signature + "\n```" + doc },
      metadata: {},
    };
  }

  prepareNextCell(): void {
    this.types.prepareNextCell();
  }

  async isComplete(code: string): Promise<IsCompleteReply> {
    if (cellMagicWithoutBody(code)) return { status: "incomplete", indent: "" };
    return isComplete(this.ts, withoutMagicSyntax(code, this.magics));
  }

  dispose(): void {
    this.types.dispose();
    this.scope.dispose();
  }
}

/** `input(prompt)` in a cell: a line from the notebook user. */
function input(prompt = "", options: { password?: boolean } = {}): Promise<string> {
  const cell = currentCell();
  if (!cell) return Promise.reject(new Error("input() was called outside a notebook cell: nobody can answer it"));
  return outsideCell(() => cell.io.requestInput(prompt, options.password ?? false));
}

/**
 * `prompt(message, defaultValue)` in a cell: the browser's synchronous prompt,
 * answered by the notebook user. An empty reply gives `defaultValue` when
 * there is one (the browser would have shown it pre-filled).
 */
function prompt(message = "", defaultValue?: string): string {
  const cell = currentCell();
  if (!cell) throw new Error("prompt() was called outside a notebook cell: nobody can answer it");
  const answer = outsideCell(() => cell.io.requestInputSync(String(message), false));
  return answer === "" && defaultValue !== undefined ? String(defaultValue) : answer;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

function reportLate(cell: RunningCell, content: ErrorContent): void {
  outsideCell(() => {
    if (cell.io.error) cell.io.error(content);
    else cell.io.stream("stderr", content.traceback.join("\n") + "\n");
  });
}

let failureRoutingInstalled = false;

/**
 * Errors no cell code caught (thrown by a timer, a rejected promise nobody
 * awaited) end the cell they belong to, or become a late error output of it;
 * the kernel process lives on.
 */
function installFailureRouting(): void {
  if (failureRoutingInstalled) return;
  failureRoutingInstalled = true;
  const route = (error: unknown) => {
    const cell = currentCell();
    if (cell) cell.fail(error);
    else process.stderr.write(`tsnnx kernel: an error outside any cell: ${errorContent(error).traceback.join("\n")}\n`);
  };
  process.on("uncaughtException", route);
  process.on("unhandledRejection", route);
}

function formatSyntaxError(tsApi: typeof ts, d: ts.Diagnostic, label: string): string {
  const message = tsApi.flattenDiagnosticMessageText(d.messageText, "\n");
  if (!d.file || d.start === undefined) return `${label} - error TS${d.code}: ${message}`;
  const { line, character } = tsApi.getLineAndCharacterOfPosition(d.file, d.start);
  return `${label}:${line + 1}:${character + 1} - error TS${d.code}: ${message}`;
}

function findKernelRoot(): string {
  for (let dir = execDir; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "tsnnx") {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the tsnnx package folder above ${execDir}`);
  }
}

/** Jupyter counts cursor positions in code points; JavaScript strings in UTF-16 units. */
function utf16Offset(code: string, codePoints: number): number {
  let offset = 0;
  for (let i = 0; i < codePoints && offset < code.length; i++) offset += code.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}

function codePointOffset(code: string, utf16: number): number {
  return [...code.slice(0, utf16)].length;
}
