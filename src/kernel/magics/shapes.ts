/**
 * `%eval_shape` and `%diff`: looking at states without changing them.
 * `%eval_shape expr` runs `nnx.evalShape(() => expr)`, so nothing is
 * allocated; `%diff A B` compares two steps, or a live model and a step,
 * leaf by leaf (src/display/diff.ts computes and renders).
 */
import fs from "node:fs";
import * as jax from "@jax-js/jax";
import * as nnx from "../../nnx/index.js";
import * as ocp from "../../ocp/index.js";
import { Pytree } from "../../nnx/pytreelib.js";
import { ShapeDtypeStruct } from "../../runtime/shape-dtype.js";
import { formatBytes } from "../../ocp/inspect.js";
import { flattenTree, pathName } from "../../ocp/tree.js";
import { diffBundle, diffLeaves, type LeafValues } from "../../display/diff.js";
import { display } from "../exec/display.js";
import { JUPYTER_DISPLAY } from "../exec/mime.js";
import { print } from "./cell-io.js";
import { UsageError, type RuntimeMagic } from "./registry.js";

export const evalShapeMagic: RuntimeMagic = {
  name: "eval_shape",
  summary: "The abstract state of an expression (shapes, dtypes, parameter counts and bytes), through nnx.evalShape: nothing is allocated.",
  synopsis: "<expr>",
  flags: [],
  operands: { kind: "expression" },
  async run({ operands }) {
    const abstract = nnx.evalShape(operands[0] as () => unknown);
    if (typeof (abstract as Record<symbol, unknown> | null)?.[JUPYTER_DISPLAY] === "function") await display(abstract);
    else print(abstractStateText(abstract));
    return undefined;
  },
};

const bytesOf = (s: ShapeDtypeStruct) => s.shape.reduce((a, b) => a * b, 1) * (Number(/(\d+)$/.exec(s.dtype)?.[1] ?? 32) / 8);
const countOf = (s: ShapeDtypeStruct) => s.shape.reduce((a, b) => a * b, 1);

/** A table of an abstract state's leaves, with counts and bytes per Variable kind and in total. */
function abstractStateText(abstract: unknown): string {
  if (abstract instanceof ShapeDtypeStruct) {
    return `ShapeDtypeStruct(shape=[${abstract.shape.join(", ")}], dtype=${abstract.dtype}): ${countOf(abstract)} elements (${formatBytes(bytesOf(abstract))})`;
  }
  const rows = nnx
    .state(abstract)
    .flatState()
    .map(([keys, leaf]) => {
      const kind = leaf instanceof nnx.Variable ? leaf.constructor.name : "";
      const raw = leaf instanceof nnx.Variable ? leaf.raw : leaf;
      return { path: keys.join("."), kind, raw };
    });
  const header = ["path", "type", "shape", "dtype", "count", "bytes"];
  const cells = rows.map(({ path: p, kind, raw }) =>
    raw instanceof ShapeDtypeStruct
      ? [p, kind, `[${raw.shape.join(", ")}]`, raw.dtype, String(countOf(raw)), formatBytes(bytesOf(raw))]
      : [p, kind, "", typeof raw, "", ""],
  );
  const totals = new Map<string, { count: number; bytes: number }>();
  for (const { kind, raw } of rows) {
    if (!(raw instanceof ShapeDtypeStruct)) continue;
    for (const key of [kind || "array", "Total"]) {
      const t = totals.get(key) ?? { count: 0, bytes: 0 };
      totals.set(key, { count: t.count + countOf(raw), bytes: t.bytes + bytesOf(raw) });
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  const name = (abstract as object | null)?.constructor?.name ?? "value";
  const summary = [...totals].map(([k, t]) => `${k}: ${t.count.toLocaleString("en-US")} (${formatBytes(t.bytes)})`).join(", ");
  return [`${name} (abstract: nothing allocated)`, line(header), ...cells.map(line), `# ${summary || "no arrays"}`].join("\n");
}

/** `%diff`: needs the notebook's checkpoint folder for steps. */
export function diffMagic(checkpointFolder: (dirFlag: unknown) => string): RuntimeMagic {
  return {
    name: "diff",
    summary: "Compare two steps, or a live model/state and a step, leaf by leaf: changed or not, max abs difference, relative norm change.",
    synopsis: "<A> <B>  (each a step number or an expression) [--dir DIR]",
    flags: [{ name: "dir", value: { kind: "string" }, help: "checkpoint folder of the steps (default: the notebook's)" }],
    operands: { kind: "steps-or-expressions", count: 2 },
    async run({ flags, operands }) {
      const dir = checkpointFolder(flags.dir);
      const sides = await Promise.all(operands.map((operand) => leavesOf(operand, dir)));
      const [a, b] = sides as [Side, Side];
      await display.bundle(diffBundle(diffLeaves(a.leaves, b.leaves), { a: a.label, b: b.label }));
      return undefined;
    },
  };
}

interface Side {
  label: string;
  leaves: LeafValues[];
}

async function leavesOf(operand: unknown, dir: string): Promise<Side> {
  if (typeof operand === "number") {
    if (!fs.existsSync(dir)) throw new UsageError(`%diff: there is no checkpoint folder ${dir}`);
    const manager = new ocp.CheckpointManager(dir, { readOnly: true });
    if (!manager.allSteps().includes(operand)) throw new UsageError(`%diff: step ${operand} is not in ${dir}; steps: [${manager.allSteps().join(", ")}]`);
    // Read and released leaf by leaf: the step's arrays live only while their values are copied out.
    const restored = await manager.restore(operand);
    return { label: `step ${operand}`, leaves: await readLeaves(restored, true) };
  }
  const value = (operand as () => unknown)();
  return { label: labelOf(value), leaves: await readLeaves(stateTree(value), false) };
}

/** What `%save` would store for `value`, so paths line up with a saved step's. */
function stateTree(value: unknown): unknown {
  const asState = (v: unknown) => (v instanceof nnx.State ? v : v instanceof Pytree ? nnx.state(v) : undefined);
  const single = asState(value);
  if (single) return single;
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value).map(([k, v]) => [k, asState(v)] as const);
    if (entries.length > 0 && entries.every(([, v]) => v !== undefined)) return Object.fromEntries(entries);
  }
  throw new UsageError(`%diff: expected a step number, a Module, Optimizer, State or an object of them`);
}

function labelOf(value: unknown): string {
  return (value as object).constructor?.name === "Object" ? "live state" : `live ${(value as object).constructor?.name ?? "value"}`;
}

async function readLeaves(tree: unknown, owned: boolean): Promise<LeafValues[]> {
  const out: LeafValues[] = [];
  for (const { keys, leaf } of flattenTree(tree)) {
    const p = pathName(keys);
    if (leaf instanceof jax.Array) {
      const shape = [...leaf.shape];
      const dtype = String(leaf.dtype);
      const data = await (owned ? leaf : leaf.ref).data();
      out.push({ path: p, shape, dtype, values: Array.from(data as ArrayLike<number | bigint>, Number) });
    } else if (typeof leaf === "number") {
      out.push({ path: p, shape: [], dtype: "number", values: [leaf] });
    }
  }
  return out;
}
