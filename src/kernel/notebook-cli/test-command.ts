/**
 * `tsnnx test [PATHS...]`: runs notebooks headless, as CI does, each in a
 * fresh kernel process (so one notebook's crash or leftover state never
 * reaches the next), without touching the files. A notebook fails on any
 * error output, and where a cell tagged `check-output` does not reproduce its
 * saved outputs apart from volatile parts (normalise.ts). One line per
 * notebook, then exactly one `N passed, N failed` line, which CI log readers
 * take as the summary; the exit code is 1 when any notebook failed.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { cellTags, type Cell, readNotebook, type StoredOutput } from "./notebook-file.js";
import { normaliseVolatile } from "./normalise.js";
import { executeNotebook } from "./run.js";

export const TEST_USAGE = "usage: tsnnx test [PATHS...] [--timeout SECONDS]   (folders are searched for .ipynb files; default: the current folder)";

export const CHECK_OUTPUT_TAG = "check-output";

/** Notebooks under `paths`, in a stable order; folders recursively, skipping Jupyter's checkpoint copies and hidden folders. */
export async function collectNotebooks(paths: string[]): Promise<{ notebooks: string[]; missing: string[] }> {
  const notebooks: string[] = [];
  const missing: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".ipynb_checkpoints" && entry.name !== "node_modules" && !entry.name.startsWith(".")) await walk(full);
      } else if (entry.name.endsWith(".ipynb")) notebooks.push(full);
    }
  };
  for (const given of paths) {
    const info = await stat(given).catch(() => null);
    if (info === null) missing.push(given);
    else if (info.isDirectory()) await walk(given);
    else notebooks.push(given);
  }
  return { notebooks, missing };
}

/** One output reduced to what must reproduce: its kind, and the text of each stream or mime type with volatile parts masked. */
function comparable(output: StoredOutput, index: number): { where: string; text: string }[] {
  const text = (value: unknown) => normaliseVolatile(Array.isArray(value) ? value.join("") : typeof value === "string" ? value : JSON.stringify(value));
  const where = `output ${index + 1}`;
  if (output.output_type === "stream") return [{ where: `${where} (${String(output.name)})`, text: text(output.text) }];
  if (output.output_type === "error") return [{ where: `${where} (error)`, text: `${String(output.ename)}: ${text(output.evalue)}` }];
  const data = (output.data ?? {}) as Record<string, unknown>;
  const mimes = Object.keys(data).sort();
  return [{ where: `${where} (${output.output_type})`, text: mimes.join(", ") }, ...mimes.map((mime) => ({ where: `${where} ${mime}`, text: text(data[mime]) }))];
}

/** Where a fresh cell's outputs first differ from the saved ones, or null when they match. */
export function outputDifference(saved: StoredOutput[], fresh: StoredOutput[]): string | null {
  const expected = saved.flatMap(comparable);
  const actual = fresh.flatMap(comparable);
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i];
    const got = actual[i];
    if (want?.where === got?.where && want?.text === got?.text) continue;
    if (want === undefined) return `an extra ${got.where}: ${firstLine(got.text)}`;
    if (got === undefined || want.where !== got.where) return `${want.where} is missing (saved: ${firstLine(want.text)})${got ? `; got ${got.where} instead` : ""}`;
    const wantLines = want.text.split("\n");
    const gotLines = got.text.split("\n");
    const line = wantLines.findIndex((text, n) => text !== gotLines[n]);
    const at = line < 0 ? wantLines.length : line;
    return `${want.where} differs at line ${at + 1}: saved ${JSON.stringify(wantLines[at] ?? "")}, got ${JSON.stringify(gotLines[at] ?? "")}`;
  }
  return null;
}

const firstLine = (text: string) => JSON.stringify(text.split("\n")[0]);

export type NotebookVerdict = { passed: true } | { passed: false; reason: string };

/** Runs one notebook in a fresh kernel process and judges it. */
export async function testNotebook(file: string, timeoutSeconds: number | null): Promise<NotebookVerdict> {
  let notebook;
  try {
    notebook = await readNotebook(file);
  } catch (error) {
    return { passed: false, reason: (error as Error).message };
  }
  let log = "";
  let run;
  try {
    run = await executeNotebook(notebook, {
      cwd: path.dirname(path.resolve(file)),
      timeoutSeconds,
      allowErrors: false,
      echo: () => {},
      log: (text) => {
        log += text;
      },
    });
  } catch (error) {
    return { passed: false, reason: (error as Error).message };
  }
  const { notebook: executed, failures } = run;
  if (failures.length > 0) {
    const { cell, error, kernelAlive } = failures[0];
    // What a dead kernel wrote last is its side of the story; stdout keeps one line per notebook.
    if (!kernelAlive && log.trim()) process.stderr.write(`${file}: the kernel's last output:\n${log.trimEnd().split("\n").slice(-10).join("\n")}\n`);
    return { passed: false, reason: `cell ${cell}: ${error.ename}: ${error.evalue}` };
  }
  for (const [index, cell] of executed.cells.entries()) {
    const late = (cell.outputs ?? []).find((output) => output.output_type === "error");
    if (late) return { passed: false, reason: `cell ${index + 1}: ${late.ename}: ${late.evalue} (an error after the cell ended)` };
  }
  for (const [index, cell] of notebook.cells.entries()) {
    if (!cellTags(cell).includes(CHECK_OUTPUT_TAG)) continue;
    const difference = outputDifference(cell.outputs ?? [], (executed.cells[index] as Cell).outputs ?? []);
    if (difference !== null) return { passed: false, reason: `cell ${index + 1} (check-output): ${difference}` };
  }
  return { passed: true };
}

export async function runTestCommand(args: string[]): Promise<number> {
  const paths: string[] = [];
  let timeoutSeconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--timeout") {
      const seconds = Number(args[++i]);
      if (!(seconds > 0) || !Number.isFinite(seconds)) throw new Error(`--timeout ${args[i] ?? ""}: expected a positive number of seconds\n${TEST_USAGE}`);
      timeoutSeconds = seconds;
    } else if (arg === "-h" || arg === "--help") {
      process.stdout.write(TEST_USAGE + "\n");
      return 0;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${TEST_USAGE}`);
    else paths.push(arg);
  }
  const { notebooks, missing } = await collectNotebooks(paths.length > 0 ? paths : ["."]);
  let passed = 0;
  let failed = 0;
  for (const file of missing) {
    failed++;
    process.stdout.write(`FAIL ${file}: no such file or folder\n`);
  }
  if (notebooks.length === 0 && missing.length === 0) {
    failed++;
    process.stdout.write(`FAIL ${paths.join(" ") || "."}: no notebooks (.ipynb) found\n`);
  }
  for (const file of notebooks) {
    const started = performance.now();
    const verdict = await testNotebook(file, timeoutSeconds);
    if (verdict.passed) {
      passed++;
      process.stdout.write(`PASS ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    } else {
      failed++;
      process.stdout.write(`FAIL ${file}: ${verdict.reason}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}
