/**
 * `nnx.jit(fn)`: jax-js `jit` over functions that take graph nodes (Flax's
 * `nnx.jit`). Each graph-node argument is split into its graphdef (static: a
 * new graphdef means a new compiled program) and its array leaves (traced
 * inputs); inside, a copy of the model is rebuilt from the traced arrays and
 * `fn` runs on it; Variables `fn` assigns (BatchNorm statistics, Rng counts,
 * parameters in a train step) are outputs written back to the caller's model.
 * Other non-array arguments are static. Outputs are trees of arrays.
 */
import * as jax from "@jax-js/jax";
import { isJaxArray } from "../arrays.js";
import { isGraphNode } from "../graph.js";
import { collectChanges, leafValue, rebuildCopy, takeApart, writeBack, type TakenApart } from "./inner-copy.js";
import { fingerprintGraph, fingerprintValue } from "./fingerprint.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

type ArgPlan =
  | { kind: "node"; apart: TakenApart; arrayLeaves: number[] }
  | { kind: "array" }
  | { kind: "static"; value: unknown };

interface Compiled {
  run: jax.OwnedFunction<(inputs: jax.Array[][]) => [unknown, jax.Array[][]]>;
  /** Per traced input shapes: which leaves of each node argument the function changes. */
  changes: Map<string, number[][]>;
}

/**
 * Compile `fn` with jax-js's jit, for functions that take modules (Flax's `nnx.jit`).
 *
 * Each module (graph-node) argument is split into its graphdef (static: a new graphdef
 * compiles anew) and its arrays (traced); Variables `fn` assigns (parameters in a train
 * step, BatchNorm statistics, Rng counts) are written back to the caller's module.
 * Array arguments are traced, other arguments static; `fn` returns a tree of arrays.
 * Call `.dispose()` on the result to free its compiled programs.
 *
 * @example
 * const layer = new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0) });
 * const forward = nnx.jit((model: nnx.Linear, x: jax.Array) => model.call(x));
 * const y = forward(layer, np.ones([2, 3]));
 */
export function jit<F extends AnyFunction>(fn: F): jax.OwnedFunction<(...args: Parameters<F>) => ReturnType<F>> {
  const compiled = new Map<string, Compiled>();

  const call = (...args: unknown[]): ReturnType<F> => {
    const plans: ArgPlan[] = args.map((arg) => {
      if (isGraphNode(arg)) {
        const apart = takeApart(arg);
        const arrayLeaves = apart.leaves.flatMap(([, leaf], i) => (isJaxArray(leafValue(leaf)) ? [i] : []));
        return { kind: "node", apart, arrayLeaves };
      }
      return isJaxArray(arg) ? { kind: "array" } : { kind: "static", value: arg };
    });
    const key = plans
      .map((p) => {
        if (p.kind === "array") return "A";
        if (p.kind === "static") return `S${fingerprintValue(p.value)}`;
        // Non-array leaves (plain numbers in Variables) are static too.
        const statics = p.apart.leaves.map(([, leaf], i) => (p.arrayLeaves.includes(i) ? "" : fingerprintValue(leafValue(leaf))));
        return `N${fingerprintGraph(p.apart.graphdef)}<${statics.join(",")}>`;
      })
      .join("|");
    let entry = compiled.get(key);
    if (!entry) {
      entry = compileFor(plans);
      compiled.set(key, entry);
    }
    // Traced inputs: each node's array leaves (new references, consumed), then the array arguments.
    const inputs: jax.Array[][] = plans.map((p, i) => {
      if (p.kind === "node") return p.arrayLeaves.map((index) => (leafValue(p.apart.leaves[index]![1]) as jax.Array).ref);
      return p.kind === "array" ? [args[i] as jax.Array] : [];
    });
    const shapes = inputs.map((list) => list.map((a) => `${a.dtype}[${a.shape.join(",")}]`).join(";")).join("|");
    currentShapes = shapes;
    const [out, updates] = entry.run(inputs);
    const changes = entry.changes.get(shapes);
    if (!changes) throw new Error("nnx.jit: internal error: no record of the traced program's state changes");
    plans.forEach((p, i) => {
      if (p.kind === "node") writeBack(p.apart, changes[i]!, updates[i]!);
    });
    return out as ReturnType<F>;
  };

  let currentShapes = "";
  const compileFor = (plans: ArgPlan[]): Compiled => {
    const changes = new Map<string, number[][]>();
    const run = jax.jit((inputs: jax.Array[][]) => {
      const copies = new Map<number, ReturnType<typeof rebuildCopy>>();
      const callArgs = plans.map((p, i) => {
        if (p.kind === "static") return p.value;
        if (p.kind === "array") return inputs[i]![0];
        const values = p.apart.leaves.map(([, leaf], index) => {
          const at = p.arrayLeaves.indexOf(index);
          return at === -1 ? leafValue(leaf) : inputs[i]![at];
        });
        const copy = rebuildCopy(p.apart, values);
        copies.set(i, copy);
        return copy.node;
      });
      const out = fn(...callArgs);
      if (isGraphNode(out)) throw new Error("nnx.jit: the function returned a graph node; return arrays (and update the model in place)");
      const changed: number[][] = plans.map(() => []);
      const updates: jax.Array[][] = plans.map(() => []);
      for (const [i, copy] of copies) {
        const found = collectChanges(copy);
        changed[i] = found.changed;
        updates[i] = found.values;
      }
      changes.set(currentShapes, changed);
      return [out, updates] as never;
    });
    return { run: run as unknown as Compiled["run"], changes };
  };

  return Object.assign(call as (...args: Parameters<F>) => ReturnType<F>, {
    dispose: () => {
      for (const entry of compiled.values()) entry.run.dispose();
      compiled.clear();
    },
  });
}
