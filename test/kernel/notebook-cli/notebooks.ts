/** Small notebooks written for the notebook CLI tests. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export type CellSpec = string | { source: string; tags?: string[]; outputs?: unknown[] };

export function notebookOf(...cells: CellSpec[]) {
  return {
    cells: [
      { cell_type: "markdown", id: "title", source: "# title", metadata: {} },
      ...cells.map((cell, i) => {
        const spec = typeof cell === "string" ? { source: cell } : cell;
        return { cell_type: "code", id: `cell${i}`, source: spec.source, metadata: spec.tags ? { tags: spec.tags } : {}, outputs: spec.outputs ?? [], execution_count: null };
      }),
    ],
    metadata: { kernelspec: { name: "tsnnx", display_name: "TypeScript (tsnnx)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export async function writeNotebookFile(file: string, notebook: unknown): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(notebook));
  return file;
}

export const stdout = (text: string) => ({ output_type: "stream", name: "stdout", text: text.match(/[^\n]*\n|[^\n]+$/g) ?? [] });
