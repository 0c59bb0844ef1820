/**
 * `nnx.evalShape(() => new Model(...))`: the model with every array replaced
 * by a ShapeDtypeStruct, without allocating array memory (Flax's
 * `nnx.eval_shape`). The factory runs under jax-js's tracer (`makeJaxpr`), so
 * its arrays are abstract; their shapes and dtypes are read from the traced
 * program's outputs. `nnx.split` of the result is a checkpoint restore template.
 * Random initialisers run in shapes-only mode meanwhile (see shapes-only.ts).
 */
import * as jax from "@jax-js/jax";
import { ShapeDtypeStruct } from "../runtime/shape-dtype.js";
import { isJaxArray } from "./arrays.js";
import { isGraphNode, merge, split, type GraphDef } from "./graph.js";
import { withShapesOnly } from "./shapes-only.js";
import { fromFlatState, type FlatState } from "./statelib.js";
import { Variable } from "./variablelib.js";

/**
 * Build a model without allocating its arrays (Flax's `nnx.eval_shape`): the result of
 * `factory()` with every array replaced by a ShapeDtypeStruct (shape and dtype only).
 * Useful as a template to restore a checkpoint into, or to inspect parameter shapes.
 * The factory must return a graph node (a Module, Rngs, or an array / object of Variables) or an array.
 *
 * @example
 * const abstract = nnx.evalShape(() => new nnx.Linear(3, 4, { rngs: new nnx.Rngs(0) }));
 * abstract.kernel.shape; // [3, 4], no memory allocated
 */
export function evalShape<T>(factory: () => T): T {
  // The leaves are read inside the trace: after it, its tracers are released.
  let made: { result: unknown; graphdef?: GraphDef; flat?: FlatState; raws?: unknown[] } | undefined;
  const traced = jax.makeJaxpr(() => {
    const result: unknown = withShapesOnly(factory);
    if (isGraphNode(result)) {
      const [graphdef, state] = split(result);
      const flat = state.flatState();
      const raws = flat.map(([, leaf]) => (leaf instanceof Variable ? leaf.raw : leaf));
      made = { result, graphdef, flat, raws };
      return raws.filter(isJaxArray);
    }
    if (isJaxArray(result)) {
      made = { result };
      return [result];
    }
    throw new Error("evalShape: the factory must return a graph node (a Module, Rngs, or an array / object of Variables) or a jax-js array");
  })();
  const avals = traced.jaxpr.jaxpr.outs.map((out) => new ShapeDtypeStruct(out.aval.shape, out.aval.dtype));
  traced.jaxpr.dispose();
  if (!made) throw new Error("evalShape: the factory did not run");
  if (!made.graphdef || !made.flat || !made.raws) return avals[0] as T;
  const raws = made.raws;
  let next = 0;
  const abstract = made.flat.map(([path, leaf], i) => {
    const raw = raws[i];
    const value = isJaxArray(raw) ? avals[next++] : raw;
    return [path, leaf instanceof Variable ? leaf.withValue(value) : value] as const;
  });
  return merge<T>(made.graphdef, fromFlatState(abstract));
}
