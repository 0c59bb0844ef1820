/**
 * Papermill-style parameters for `tsnnx run -p name=value`: the values go
 * into a new code cell of TypeScript `const` declarations, tagged
 * `injected-parameters`, right after the first cell tagged `parameters` (at
 * the top when there is none; in place of an earlier injected cell when the
 * notebook already has one), and into the notebook metadata at
 * `papermill.parameters`: where papermill records them, so tools that read
 * papermill's outputs read ours. A later `const` of the same name shadows the
 * parameters cell's default, as re-running a cell redefines a name.
 */
import { cellTags, newCellId, type Notebook } from "./notebook-file.js";

export type Parameters = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `name=value`: the value parsed as JSON (numbers, booleans, null, lists, objects, quoted strings), else taken as a string. */
export function parseParameter(text: string, parameters: Parameters): void {
  const equals = text.indexOf("=");
  if (equals < 0) throw new Error(`-p ${text}: expected name=value`);
  const name = text.slice(0, equals).trim();
  if (!IDENTIFIER.test(name)) throw new Error(`-p ${text}: ${JSON.stringify(name)} is not a TypeScript identifier`);
  const raw = text.slice(equals + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  parameters[name] = value;
}

export function parametersCellSource(parameters: Parameters): string {
  const lines = Object.entries(parameters).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};\n`);
  return `// Parameters\n${lines.join("")}`;
}

/** Returns a copy of the notebook with the parameters injected; the input object is left as it was. */
export function injectParameters(notebook: Notebook, parameters: Parameters): Notebook {
  const injected = {
    ...(notebook.nbformat_minor >= 5 ? { id: newCellId() } : {}),
    cell_type: "code",
    execution_count: null,
    metadata: { tags: ["injected-parameters"] },
    outputs: [],
    source: parametersCellSource(parameters),
  };
  const cells = [...notebook.cells];
  const previous = cells.findIndex((cell) => cellTags(cell).includes("injected-parameters"));
  const parametersCell = cells.findIndex((cell) => cellTags(cell).includes("parameters"));
  if (previous >= 0) cells.splice(previous, 1, injected);
  else cells.splice(parametersCell + 1, 0, injected);
  const papermill = (notebook.metadata.papermill ?? {}) as Record<string, unknown>;
  return { ...notebook, cells, metadata: { ...notebook.metadata, papermill: { ...papermill, parameters } } };
}
