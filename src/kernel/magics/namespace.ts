/**
 * `%who` and `%whos`: the names the notebook's cells defined (not the
 * kernel's own: tsnnx's exports, `display`, `input`, ...), as IPython lists
 * them; `%whos` adds each one's type and a summary (shape and dtype for an
 * array, parameter count and bytes for a Module).
 */
import * as jax from "@jax-js/jax";
import * as nnx from "../../nnx/index.js";
import { Pytree } from "../../nnx/pytreelib.js";
import { formatBytes } from "../../ocp/inspect.js";
import { print } from "./cell-io.js";
import type { NotebookBindings, RuntimeMagic } from "./registry.js";

/** IPython's %whos: column gap, and how long a value's text may be before its middle is cut. */
const COLUMN_GAP = 3;
const MAX_INFO = 50;

export function namespaceMagics(notebook: NotebookBindings, isKernelName: (name: string) => boolean): RuntimeMagic[] {
  const userNames = () => notebook.names().filter((n) => !isKernelName(n) && notebook.get(n) !== undefined).sort();
  const who: RuntimeMagic = {
    name: "who",
    summary: "The names this notebook's cells defined.",
    synopsis: "",
    flags: [],
    operands: { kind: "none" },
    async run() {
      const names = userNames();
      print(names.length === 0 ? "Interactive namespace is empty." : names.join("\t") + "\t");
      return undefined;
    },
  };
  const whos: RuntimeMagic = {
    name: "whos",
    summary: "The names this notebook's cells defined, with type and shape/dtype or a summary.",
    synopsis: "",
    flags: [],
    operands: { kind: "none" },
    async run() {
      const names = userNames();
      if (names.length === 0) {
        print("Interactive namespace is empty.");
        return undefined;
      }
      print(whosTable(names.map((name) => ({ name, value: notebook.get(name) }))));
      return undefined;
    },
  };
  return [who, whos];
}

function whosTable(entries: { name: string; value: unknown }[]): string {
  const rows = entries.map(({ name, value }) => [name, typeName(value), info(value)] as const);
  const varWidth = Math.max("Variable".length, ...rows.map((r) => r[0].length)) + COLUMN_GAP;
  const typeWidth = Math.max("Type".length, ...rows.map((r) => r[1].length)) + COLUMN_GAP;
  const header = "Variable".padEnd(varWidth) + "Type".padEnd(typeWidth) + " Data/Info";
  const rule = "-".repeat(varWidth + typeWidth + "Data/Info".length + 1);
  return [header, rule, ...rows.map(([n, t, i]) => `${n.padEnd(varWidth)}${t.padEnd(typeWidth)} ${i}`)].join("\n");
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof jax.Array) return "Array";
  if (typeof value === "function") return /^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function";
  if (typeof value === "object") return (value as object).constructor?.name ?? "Object";
  return typeof value;
}

function info(value: unknown): string {
  if (value instanceof jax.Array) {
    const size = value.shape.reduce((a, b) => a * b, 1);
    const bits = Number(/(\d+)$/.exec(String(value.dtype))?.[1] ?? 8);
    return `${value.shape.join("x") || "scalar"}: ${size} elems, type \`${value.dtype}\`, ${size * (bits / 8)} bytes`;
  }
  if (value instanceof Pytree) {
    let count = 0;
    let bytes = 0;
    for (const [, leaf] of nnx.state(value).flatState()) {
      const raw = leaf instanceof nnx.Variable ? leaf.raw : leaf;
      if (raw instanceof jax.Array) {
        const size = raw.shape.reduce((a, b) => a * b, 1);
        count += size;
        bytes += size * (Number(/(\d+)$/.exec(String(raw.dtype))?.[1] ?? 8) / 8);
      }
    }
    return `${count.toLocaleString("en-US")} params (${formatBytes(bytes)})`;
  }
  if (typeof value === "function") return value.name ? `${value.name}` : "(anonymous)";
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = text.replace(/\n/g, "\\n");
  return text.length < MAX_INFO ? text : `${text.slice(0, 25)}<...>${text.slice(-25)}`;
}
