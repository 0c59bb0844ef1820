/**
 * `tsnnx run NOTEBOOK`: executes a notebook's code cells in order with the
 * kernel's executor, in this process, with no Jupyter and no Python. Outputs
 * are echoed to the terminal as they come and, with `--output`, written to a
 * new notebook in nbformat 4 the way `jupyter nbconvert --execute` fills one.
 */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { CommManager } from "./comm.js";
import { createInterruptGate } from "./interrupt-gate.js";
import type { CreateExecutor } from "./server.js";
import type { CellIO, ErrorContent, MimeBundle } from "./exec/types.js";

export const RUN_USAGE =
  "usage: tsnnx run NOTEBOOK.ipynb [--output OUT.ipynb [--force] | --inplace] [--allow-errors] [--quiet]";

type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; execution_count: number; data: MimeBundle; metadata: Record<string, unknown> }
  | ({ output_type: "error" } & ErrorContent);

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

interface RunArguments {
  input: string;
  output: string | null;
  force: boolean;
  allowErrors: boolean;
  quiet: boolean;
}

export function parseRunArguments(args: string[]): RunArguments {
  const parsed: RunArguments = { input: "", output: null, force: false, allowErrors: false, quiet: false };
  let inPlace = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--output" || arg === "-o") {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a file name\n${RUN_USAGE}`);
      parsed.output = value;
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

async function readNotebook(file: string): Promise<Notebook> {
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
  if (!Array.isArray(notebook.cells) || notebook.nbformat !== 4) {
    throw new Error(`${file} is not an nbformat 4 notebook (no cells list, or nbformat ${notebook.nbformat})`);
  }
  return notebook;
}

const sourceText = (source: string | string[]) => (Array.isArray(source) ? source.join("") : source);

/** nbformat stores multi-line strings as lists of lines, each keeping its newline. */
function toLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Collects one cell's outputs as nbformat does, merging adjacent stream text. */
class CellRecorder implements CellIO {
  readonly outputs: Output[] = [];
  #clearPending = false;

  constructor(
    private readonly displays: Map<string, { data: MimeBundle; metadata: Record<string, unknown> }[]>,
    private readonly echo: (text: string, stream: "stdout" | "stderr") => void,
  ) {}

  #push(output: Output): void {
    if (this.#clearPending) {
      this.outputs.length = 0;
      this.#clearPending = false;
    }
    const last = this.outputs.at(-1);
    if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
      last.text += output.text;
    } else this.outputs.push(output);
  }

  stream(name: "stdout" | "stderr", text: string): void {
    this.#push({ output_type: "stream", name, text });
    this.echo(text, name);
  }

  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void {
    const id = transient.display_id;
    if (update) {
      for (const shown of (id && this.displays.get(id)) || []) {
        shown.data = data;
        shown.metadata = metadata;
      }
      return;
    }
    const output: Output = { output_type: "display_data", data, metadata };
    this.#push(output);
    if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
    this.echo(plainText(data), "stdout");
  }

  clearOutput(wait: boolean): void {
    if (wait) this.#clearPending = true;
    else this.outputs.length = 0;
  }

  requestInput(prompt: string): Promise<string> {
    return Promise.reject(noStdin("input", prompt));
  }

  requestInputSync(prompt: string): string {
    throw noStdin("prompt", prompt);
  }

  error(content: ErrorContent): void {
    this.#push({ output_type: "error", ...content });
    this.echo(content.traceback.join("\n") + "\n", "stderr");
  }

  result(executionCount: number, data: MimeBundle, metadata: Record<string, unknown>): void {
    this.#push({ output_type: "execute_result", execution_count: executionCount, data, metadata });
    this.echo(plainText(data), "stdout");
  }
}

function plainText(data: MimeBundle): string {
  const text = data["text/plain"];
  return typeof text === "string" ? text + "\n" : `[${Object.keys(data).join(", ")}]\n`;
}

/** nbformat keeps every string of an output's mime bundle as a list of lines. */
function toStoredOutput(output: Output): object {
  if (output.output_type === "stream") return { ...output, text: toLines(output.text) };
  if (output.output_type === "error") return output;
  const data = Object.fromEntries(
    Object.entries(output.data).map(([mime, value]) =>
      typeof value === "string" && !mime.endsWith("json") && !mime.startsWith("image/") ? [mime, toLines(value)] : [mime, value],
    ),
  );
  return { ...output, data };
}

/** Runs the notebook; resolves to the process exit code (0 when every cell succeeded). */
export async function runNotebook(args: string[], createExecutor: CreateExecutor): Promise<number> {
  const options = parseRunArguments(args);
  if (options.output !== null && existsSync(options.output) && !options.force) {
    throw new Error(`${options.output} exists: pass --force to replace it (or --inplace to overwrite the input)`);
  }
  const notebook = await readNotebook(options.input);
  // No frontend listens headless: comms user code opens have nobody to talk to.
  const comms = new CommManager(
    () => {},
    (error) => process.stderr.write(`tsnnx run: comm listener failed: ${String(error)}\n`),
  );
  const executor = await createExecutor({ cwd: path.dirname(path.resolve(options.input)), comms, interruptGate: createInterruptGate() });
  const echo = (text: string, stream: "stdout" | "stderr") => {
    if (!options.quiet) (stream === "stdout" ? process.stdout : process.stderr).write(text);
  };
  const displays = new Map<string, { data: MimeBundle; metadata: Record<string, unknown> }[]>();
  let executionCount = 0;
  let failed = false;
  try {
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const code = sourceText(cell.source);
      const recorder = new CellRecorder(displays, echo);
      if (!options.quiet) process.stderr.write(`--- cell ${index + 1}\n`);
      executionCount++;
      const outcome = await executor.execute(code, recorder, { silent: false, storeHistory: true, executionCount });
      if (outcome.status === "ok" && outcome.result) {
        recorder.result(executionCount, outcome.result.data, outcome.result.metadata);
      } else if (outcome.status === "error") {
        recorder.error({ ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback });
      }
      cell.outputs = recorder.outputs;
      cell.execution_count = executionCount;
      if (outcome.status !== "ok") {
        failed = true;
        if (!options.allowErrors) {
          process.stderr.write(`tsnnx run: cell ${index + 1} of ${options.input} failed; stopping (--allow-errors runs on)\n`);
          break;
        }
      }
    }
  } finally {
    executor.dispose();
  }
  if (options.output !== null) {
    const stored = {
      ...notebook,
      cells: notebook.cells.map((cell) =>
        cell.cell_type === "code" ? { ...cell, outputs: (cell.outputs ?? []).map(toStoredOutput) } : cell,
      ),
    };
    // Write beside the target, then rename: an interrupted run never leaves half a notebook.
    const temporary = `${options.output}.tsnnx-tmp`;
    await writeFile(temporary, JSON.stringify(stored, null, 1) + "\n");
    await rename(temporary, options.output);
  }
  return failed ? 1 : 0;
}

function noStdin(call: string, prompt: string): Error {
  return new Error(`${call}(${JSON.stringify(prompt)}) needs a frontend: tsnnx run has no stdin for cells`);
}
