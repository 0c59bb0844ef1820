/**
 * Errors as the notebook user should read them: stack frames in cell code
 * point at the cell's own line and column (through the transpiler's source
 * map), the kernel's own frames are left out, and jax-js's use-after-free
 * error says which variable of the cell it was and what to do
 * (freed-array.ts).
 */
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { ErrorContent } from "./types.js";
import { explainFreedArray, FREED_ARRAY_ERROR, isFreedArrayError, type CellSite } from "./freed-array.js";

// jax-js's own call chains are deeper than V8's default 10 frames: without
// more, an error thrown inside jax-js would have no frame in the cell at all.
Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 64);

/** The name of the function that wraps a cell's top-level code. */
export const CELL_FUNCTION = "__tsnnx_cell__";

interface CellScript {
  label: string;
  map: SourceMap;
  /** The line (as stack traces number it) of the call that starts the cell. */
  startLine: number;
}

const scripts = new Map<string, CellScript>();
const execDir = path.dirname(fileURLToPath(import.meta.url));

/** Remembers how to map positions in the script named `fileName` back to its cell. */
export function registerCellScript(fileName: string, label: string, sourceMap: string, startLine: number): void {
  scripts.set(fileName, { label, map: new SourceMap(JSON.parse(sourceMap) as never), startLine });
}

/** `cell[3]:2:5` for a 1-based line and column of the script named `fileName`; null if not a cell. */
export function cellPosition(fileName: string, line: number, column: number): string | null {
  const script = scripts.get(fileName);
  if (!script) return null;
  const entry = script.map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
  if (entry.originalLine === undefined) return `${script.label}:?`;
  return `${script.label}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
}

/** The innermost frame of `stack` in cell code, with that cell's text. */
function innermostCellSite(stack: string): CellSite | null {
  for (const line of stack.split("\n").slice(1)) {
    const match = FRAME.exec(line);
    const script = match && scripts.get(match[2]!);
    if (!script) continue;
    const entry = script.map.findEntry(Number(match[3]) - 1, Number(match[4]) - 1) as { originalLine?: number; originalColumn?: number };
    const source = (script.map.payload as { sourcesContent?: string[] }).sourcesContent?.[0];
    if (entry.originalLine === undefined || source === undefined) return null;
    return { label: script.label, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, source };
  }
  return null;
}

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** A frame as the user sees it; null to leave it out; "end" where the kernel's own call stack starts. */
function mapFrame(line: string): string | null | "end" {
  const match = FRAME.exec(line);
  if (!match) return line.includes("node:internal") ? null : line;
  const [, fn, file, lineText, columnText] = match as unknown as [string, string | undefined, string, string, string];
  if (fn === undefined && scripts.get(file)?.startLine === Number(lineText)) return "end";
  const position = cellPosition(file, Number(lineText), Number(columnText));
  if (position) {
    // Cell functions are called through the notebook scope object.
    const name = fn?.replace(/^async /, "").replace(/^Object\./, "");
    return !name || name === CELL_FUNCTION ? `    at ${position}` : `    at ${name} (${position})`;
  }
  if (file.startsWith("node:") || isKernelFile(file)) return null;
  return line;
}

function userFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split("\n").slice(1)) {
    if (!/^\s*at /.test(line)) continue;
    const mapped = mapFrame(line);
    if (mapped === "end") break;
    if (mapped !== null) frames.push(mapped);
  }
  return frames;
}

function isKernelFile(file: string): boolean {
  const filePath = file.startsWith("file://") ? fileURLToPath(file) : file;
  return filePath.startsWith(execDir + path.sep);
}

/** The Jupyter error content for anything thrown by cell code. */
export function errorContent(error: unknown): ErrorContent {
  if (!(error instanceof Error)) {
    const evalue = typeof error === "string" ? error : safeString(error);
    return { ename: "Error", evalue: `Uncaught ${evalue}`, traceback: [`Uncaught ${evalue}`] };
  }
  const stack = error.stack ?? "";
  const freed = isFreedArrayError(error);
  const ename = freed ? FREED_ARRAY_ERROR : error.name || error.constructor?.name || "Error";
  const evalue = freed ? explainFreedArray(error.message, innermostCellSite(stack)) : error.message;
  const frames = userFrames(stack);
  return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames] };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
