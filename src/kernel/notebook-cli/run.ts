/**
 * `tsnnx run NOTEBOOK`: executes a notebook's code cells in order, with no
 * Jupyter and no Python, in a kernel process of its own (kernel-process.ts)
 * started in the notebook's folder as Jupyter starts one. Outputs are echoed
 * to the terminal as they come and, with `--output`, written to a new
 * notebook the way `jupyter nbconvert --execute` fills one. `-p` injects
 * papermill-style parameters; `--timeout` bounds each cell.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { ErrorContent } from "../exec/types.js";
import { CellRecorder, type DisplayedOutputs } from "./cell-recorder.js";
import { startNotebookKernel, type CellEnd } from "./kernel-process.js";
import { type Cell, type Notebook, readNotebook, sourceText, toStoredOutput, writeNotebook } from "./notebook-file.js";
import { injectParameters, parseParameter, type Parameters } from "./parameters.js";

export const RUN_USAGE =
  "usage: tsnnx run NOTEBOOK.ipynb [--output OUT.ipynb [--force] | --inplace] [-p NAME=VALUE ...] [--timeout SECONDS] [--allow-errors] [--quiet]";

export interface RunArguments {
  input: string;
  output: string | null;
  force: boolean;
  allowErrors: boolean;
  quiet: boolean;
  parameters: Parameters | null;
  timeoutSeconds: number | null;
}

export function parseRunArguments(args: string[]): RunArguments {
  const parsed: RunArguments = { input: "", output: null, force: false, allowErrors: false, quiet: false, parameters: null, timeoutSeconds: null };
  let inPlace = false;
  const valueOf = (option: string, value: string | undefined, what: string) => {
    if (value === undefined) throw new Error(`${option} needs ${what}\n${RUN_USAGE}`);
    return value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--output" || arg === "-o") parsed.output = valueOf(arg, args[++i], "a file name");
    else if (arg === "--parameter" || arg === "-p") parseParameter(valueOf(arg, args[++i], "NAME=VALUE"), (parsed.parameters ??= {}));
    else if (arg === "--timeout") {
      const text = valueOf(arg, args[++i], "a number of seconds");
      const seconds = Number(text);
      if (!(seconds > 0) || !Number.isFinite(seconds)) throw new Error(`--timeout ${text}: expected a positive number of seconds`);
      parsed.timeoutSeconds = seconds;
    } else if (arg === "--inplace") inPlace = true;
    else if (arg === "--force") parsed.force = true;
    else if (arg === "--allow-errors") parsed.allowErrors = true;
    else if (arg === "--quiet" || arg === "-q") parsed.quiet = true;
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${RUN_USAGE}`);
    else if (parsed.input) throw new Error(`one notebook at a time (got ${parsed.input} and ${arg})\n${RUN_USAGE}`);
    else parsed.input = arg;
  }
  if (!parsed.input) throw new Error(RUN_USAGE);
  if (inPlace && parsed.output !== null) throw new Error(`--inplace and --output exclude each other\n${RUN_USAGE}`);
  if (inPlace) {
    parsed.output = parsed.input;
    parsed.force = true;
  }
  return parsed;
}

/** A cell that did not end well, as `tsnnx test` and `tsnnx run` report it. */
export interface CellFailure {
  /** 1-based position among all the notebook's cells, markdown included, as a reader counts them. */
  cell: number;
  error: ErrorContent;
  /** False when the kernel is gone (it died, or was killed after a timeout). */
  kernelAlive: boolean;
}

export interface NotebookRunOptions {
  /** Folder the kernel process starts in. */
  cwd: string;
  timeoutSeconds: number | null;
  /** Run on after a failed cell (when the kernel is still alive). */
  allowErrors: boolean;
  /** Every output as it comes, and `--- cell N` before each cell. */
  echo(text: string, stream: "stdout" | "stderr"): void;
  /** What the kernel process writes itself (native libraries, its log). */
  log(text: string): void;
}

export interface ExecutedNotebook {
  /** The notebook with fresh outputs and execution counts (nbformat's stored form). */
  notebook: Notebook;
  failures: CellFailure[];
}

/** Runs every code cell of `notebook` in a fresh kernel process. */
export async function executeNotebook(notebook: Notebook, options: NotebookRunOptions): Promise<ExecutedNotebook> {
  const displays: DisplayedOutputs = new Map();
  const recorders = new Map<number, CellRecorder>();
  const kernel = await startNotebookKernel(
    options.cwd,
    (event) => {
      const recorder = recorders.get(event.cell);
      if (recorder === undefined) return;
      if (event.type === "stream") recorder.stream(event.name, event.text);
      else if (event.type === "display") recorder.display(event.data, event.metadata, event.displayId, event.update);
      else if (event.type === "clear") recorder.clearOutput(event.wait);
      else recorder.error(event.content);
    },
    options.log,
  );
  const cells: Cell[] = notebook.cells.map((cell) => ({ ...cell }));
  const failures: CellFailure[] = [];
  let executionCount = 0;
  try {
    for (const [index, cell] of cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const recorder = new CellRecorder(displays, options.echo);
      recorders.set(index, recorder);
      options.echo(`--- cell ${index + 1}\n`, "stderr");
      executionCount++;
      cell.execution_count = executionCount;
      const end = await kernel.execute(index, sourceText(cell.source), executionCount, options.timeoutSeconds);
      recorder.finish();
      const failure = recordEnd(end, index + 1, executionCount, recorder, options.timeoutSeconds);
      if (failure === null) continue;
      failures.push(failure);
      if (!failure.kernelAlive || !options.allowErrors) break;
    }
  } finally {
    await kernel.close();
  }
  // Outputs that came late (a timer of a cell) are in the recorders too: store them all once the kernel is gone.
  // Cells after a stop keep what the file had, as nbconvert leaves them.
  for (const [index, recorder] of recorders) cells[index].outputs = recorder.outputs.map(toStoredOutput);
  return { notebook: { ...notebook, cells }, failures };
}

/** Records how the cell ended (its result, or the error) and returns the failure, if it was one. */
function recordEnd(end: CellEnd, cell: number, executionCount: number, recorder: CellRecorder, timeoutSeconds: number | null): CellFailure | null {
  const fail = (error: ErrorContent, kernelAlive: boolean): CellFailure => {
    recorder.error(error);
    return { cell, error, kernelAlive };
  };
  switch (end.kind) {
    case "finished": {
      const { outcome } = end;
      if (outcome.status === "ok") {
        if (outcome.result) recorder.result(executionCount, outcome.result.data, outcome.result.metadata);
        return null;
      }
      if (outcome.status === "aborted") return fail(plainError("ExecutionAborted", `cell ${cell} was aborted`), true);
      return fail({ ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback }, true);
    }
    case "timed out": {
      // nbclient's name for it, so that tools matching on it find it.
      const stopped = end.outcome !== null;
      const evalue = `cell ${cell} timed out after ${timeoutSeconds} s: ${stopped ? "it was interrupted" : "it ignored the interrupt, so the kernel was killed"}`;
      return fail(plainError("CellTimeoutError", evalue), stopped);
    }
    case "died":
      return fail(plainError("DeadKernelError", `the kernel died while running cell ${cell} (${end.how})`), false);
  }
}

/** Before any cell runs: an --output that cannot be written must not cost the run. */
async function checkOutputPath(output: string, force: boolean): Promise<void> {
  const existing = await stat(output).catch(() => null);
  if (existing?.isDirectory()) throw new Error(`--output ${output} is a directory: name the notebook file to write`);
  if (existing !== null && !force) throw new Error(`${output} exists: pass --force to replace it (or --inplace to overwrite the input)`);
  const folder = await stat(path.dirname(path.resolve(output))).catch(() => null);
  if (!folder?.isDirectory()) throw new Error(`--output ${output}: the folder ${path.dirname(output)} does not exist`);
}

const plainError = (ename: string, evalue: string): ErrorContent => ({ ename, evalue, traceback: [`${ename}: ${evalue}`] });

/** Runs the notebook; resolves to the process exit code (0 when every cell succeeded). */
export async function runNotebook(args: string[]): Promise<number> {
  const options = parseRunArguments(args);
  const input = await readNotebook(options.input);
  if (options.output !== null) await checkOutputPath(options.output, options.force);
  const notebook = options.parameters === null ? input : injectParameters(input, options.parameters);
  const { quiet } = options;
  const { notebook: executed, failures } = await executeNotebook(notebook, {
    cwd: path.dirname(path.resolve(options.input)),
    timeoutSeconds: options.timeoutSeconds,
    allowErrors: options.allowErrors,
    echo: (text, stream) => {
      if (!quiet) (stream === "stdout" ? process.stdout : process.stderr).write(text);
    },
    log: (text) => process.stderr.write(text),
  });
  for (const { cell, error, kernelAlive } of failures) {
    const next = kernelAlive && options.allowErrors ? "running on (--allow-errors)" : kernelAlive ? "stopping (--allow-errors runs on)" : "stopping";
    process.stderr.write(`tsnnx run: cell ${cell} of ${options.input} failed: ${error.ename}: ${error.evalue}; ${next}\n`);
  }
  if (options.output !== null) await writeNotebook(options.output, executed);
  return failures.length > 0 ? 1 : 0;
}
