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
import { flattenTree, pathName } from "../../ocp/tree.js";
import { diffBundle, diffLeaves, type LeafValues } from "../../display/diff.js";
import { stateTree } from "../../display/state-tree/index.js";
import { display } from "../exec/display.js";
import { UsageError, type RuntimeMagic } from "./registry.js";

export const evalShapeMagic: RuntimeMagic = {
  name: "eval_shape",
  summary: "The abstract state of an expression (shapes, dtypes, parameter counts and bytes), through nnx.evalShape: nothing is allocated.",
  synopsis: "<expr>",
  flags: [],
  operands: { kind: "expression" },
  async run({ operands }) {
    await display.bundle((await stateTree(nnx.evalShape(operands[0] as () => unknown))) as Record<string, unknown>);
    return undefined;
  },
};

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
  return { label: labelOf(value), leaves: await readLeaves(savedForm(value), false) };
}

/** What `%save` would store for `value`, so paths line up with a saved step's. */
function savedForm(value: unknown): unknown {
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
