/**
 * Notebook files as `tsnnx run` and `tsnnx test` read and write them:
 * nbformat 4 JSON, checked on the way in so that a wrong file is named with
 * its problem before any kernel starts, and written by rename so that an
 * interrupted run never leaves half a notebook.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { ErrorContent, MimeBundle } from "../exec/types.js";

export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; execution_count: number; data: MimeBundle; metadata: Record<string, unknown> }
  | ({ output_type: "error" } & ErrorContent);

/** An output as a file stores it: strings of text may be lists of lines. */
export type StoredOutput = Record<string, unknown> & { output_type: string };

export interface Cell {
  id?: string;
  cell_type: string;
  source: string | string[];
  outputs?: StoredOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export async function readNotebook(file: string): Promise<Notebook> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new Error(`cannot read notebook ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  if (info.isDirectory()) throw new Error(`${file} is a directory, not a notebook (tsnnx test runs the notebooks of a folder)`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read notebook ${file}: ${(error as Error).message}`);
  }
  let notebook: Notebook;
  try {
    notebook = JSON.parse(text) as Notebook;
  } catch (error) {
    throw new Error(`${file} is not a notebook: invalid JSON (${(error as Error).message})`);
  }
  if (typeof notebook !== "object" || notebook === null || !Array.isArray(notebook.cells)) {
    throw new Error(`${file} is not a notebook: no "cells" list`);
  }
  if (notebook.nbformat !== 4) {
    throw new Error(`${file} is nbformat ${JSON.stringify(notebook.nbformat)}: tsnnx reads nbformat 4 (upgrade it with \`jupyter nbconvert --to notebook\`)`);
  }
  notebook.metadata ??= {};
  return notebook;
}

export const sourceText = (source: string | string[]) => (Array.isArray(source) ? source.join("") : source);

export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
}

/** nbformat stores multi-line strings as lists of lines, each keeping its newline. */
export function toLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** nbformat keeps every string of an output's mime bundle (but JSON and images) as a list of lines. */
export function toStoredOutput(output: Output): StoredOutput {
  if (output.output_type === "stream") return { ...output, text: toLines(output.text) };
  if (output.output_type === "error") return { ...output };
  const data = Object.fromEntries(
    Object.entries(output.data).map(([mime, value]) =>
      typeof value === "string" && !mime.endsWith("json") && !mime.startsWith("image/") ? [mime, toLines(value)] : [mime, value],
    ),
  );
  return { ...output, data };
}

/** A cell id as nbformat 4.5 makes them (8 hex digits). */
export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

/** Writes beside the target, then renames: an interrupted run never leaves half a notebook. */
export async function writeNotebook(file: string, notebook: Notebook): Promise<void> {
  const temporary = `${file}.tsnnx-tmp`;
  try {
    await writeFile(temporary, JSON.stringify(notebook, null, 1) + "\n");
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write notebook ${file}: ${(error as Error).message}`);
  }
}
