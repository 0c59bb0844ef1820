/**
 * Runs notebooks the way CI users do, through the venv's `jupyter nbconvert
 * --execute` and `papermill`, or tsnnx's own headless `tsnnx run`, writing the
 * executed copy into the scratch Jupyter folder (never over the committed
 * notebook), and reads it back.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot, runVenvTool, type JupyterEnv } from "./jupyter.js";

export interface NotebookOutput {
  output_type: "stream" | "execute_result" | "display_data" | "error";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: NotebookOutput[];
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: { name: string };
    [key: string]: unknown;
  };
  cells: NotebookCell[];
}

export async function readNotebook(file: string): Promise<Notebook> {
  return JSON.parse(await readFile(file, "utf8")) as Notebook;
}

export function joinText(text: string | string[] | undefined): string {
  return Array.isArray(text) ? text.join("") : (text ?? "");
}

export function codeCells(notebook: Notebook): NotebookCell[] {
  return notebook.cells.filter((cell) => cell.cell_type === "code");
}

/** Everything a code cell printed to stdout. */
export function cellStdout(cell: NotebookCell): string {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === "stream" && o.name === "stdout")
    .map((o) => joinText(o.text))
    .join("");
}

/** The value of one MIME type across a cell's rich outputs (execute_result and display_data). */
export function cellMime(cell: NotebookCell, mime: string): string[] {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === "execute_result" || o.output_type === "display_data")
    .map((o) => o.data?.[mime])
    .filter((value) => value !== undefined)
    .map((value) => joinText(value as string | string[]));
}

/** Problems that mean a notebook did not run cleanly: error outputs and cells without an execution count. */
export function executionProblems(notebook: Notebook): string[] {
  const problems: string[] = [];
  codeCells(notebook).forEach((cell, index) => {
    const source = joinText(cell.source).split("\n")[0];
    if (typeof cell.execution_count !== "number") problems.push(`code cell ${index} (${source}) has no execution_count`);
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        problems.push(`code cell ${index} (${source}) raised ${output.ename}: ${output.evalue}`);
      }
    }
  });
  return problems;
}

const cellTimeoutSeconds = 600;

/** Options of one run: `env` adds variables for the kernel (it inherits the runner's environment). */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Names the executed copy, `<notebook>.<label>.ipynb`, so that runs do not overwrite each other. */
  label?: string;
}

/** `jupyter nbconvert --to notebook --execute`; returns the executed notebook. */
export async function executeWithNbconvert(jenv: JupyterEnv, notebookFile: string, options: RunOptions = {}): Promise<Notebook> {
  const output = `${path.basename(notebookFile, ".ipynb")}.${options.label ?? "nbconvert"}`;
  const args = [
    "nbconvert", "--to", "notebook", "--execute",
    `--ExecutePreprocessor.timeout=${cellTimeoutSeconds}`,
    "--output-dir", jenv.workDir,
    "--output", output,
    notebookFile,
  ];
  await runVenvTool(jenv, "jupyter", args, 20 * 60_000, options.env);
  return readNotebook(path.join(jenv.workDir, `${output}.ipynb`));
}

/** `papermill IN OUT`, optionally injecting YAML parameters (`-y`); returns the executed notebook. */
export async function executeWithPapermill(
  jenv: JupyterEnv,
  notebookFile: string,
  options: RunOptions & { parameters?: Record<string, unknown> } = {},
): Promise<Notebook> {
  const output = path.join(jenv.workDir, `${path.basename(notebookFile, ".ipynb")}.${options.label ?? "papermill"}.ipynb`);
  const args = [notebookFile, output, "--execution-timeout", String(cellTimeoutSeconds), "--no-progress-bar"];
  if (options.parameters) args.push("-y", JSON.stringify(options.parameters));
  await runVenvTool(jenv, "papermill", args, 20 * 60_000, options.env);
  return readNotebook(output);
}

/** `tsnnx run NOTEBOOK --output OUT` (the built CLI, no Jupyter involved); returns the executed notebook. */
export async function executeWithTsnnxRun(jenv: JupyterEnv, notebookFile: string): Promise<Notebook> {
  const output = path.join(jenv.workDir, `${path.basename(notebookFile, ".ipynb")}.tsnnx-run.ipynb`);
  const cli = path.join(repoRoot, "dist/src/cli.js");
  try {
    await promisify(execFile)(process.execPath, [cli, "run", notebookFile, "--output", output, "--quiet"], {
      cwd: jenv.workDir,
      env: jenv.env,
      timeout: 20 * 60_000,
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`tsnnx run ${notebookFile} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
  return readNotebook(output);
}

/** The cell with this `id` (nbformat 4.5 cell ids are stable across runs and runners). */
export function cellById(notebook: Notebook, id: string): NotebookCell {
  const cell = notebook.cells.find((c) => (c as NotebookCell & { id?: string }).id === id);
  if (!cell) throw new Error(`the notebook has no cell with id "${id}"`);
  return cell;
}
