/**
 * `nnx.Optimizer` (Flax's): an optax transformation bound to the Variables of
 * a model that match `wrt` (Params by default). Its `step` and `opt_state`
 * are Variables, so `nnx.state(optimizer)` is a checkpointable State.
 *
 * The state lives under the attribute `opt_state`, Flax's name, so optimizer
 * checkpoints have Python's paths (`opt_state.0.mu.linear.kernel.value`);
 * `optState` reads it in TypeScript spelling.
 */
import * as jax from "@jax-js/jax";
import * as optax from "../../optax/index.js";
import type { TreePath } from "../../runtime/pytree.js";
import { toPredicate, type Filter } from "../filterlib.js";
import { state as stateOf } from "../graph.js";
import { formatPaths } from "../paths.js";
import { Pytree } from "../pytreelib.js";
import { State } from "../statelib.js";
import { Param, Variable } from "../variablelib.js";
import { OptState, plainAt, readOptState, stateToPlain, wrapOptState, writeOptState } from "./opt-state.js";

const np = jax.numpy;

/** Options of `nnx.Optimizer`. */
export interface OptimizerOptions {
  /** Which Variables of the model the optimizer updates (default `nnx.Param`). */
  wrt?: Filter;
}

/**
 * An optax transformation bound to a model's Variables (Flax's `nnx.Optimizer`).
 *
 * It updates the Variables that match `wrt` (default `nnx.Param`). Its `step` counter
 * and `opt_state` (Optax's state layout) are Variables, so `nnx.state(optimizer)`
 * can be checkpointed like a model.
 *
 * @example
 * const optimizer = new nnx.Optimizer(model, optax.adam(1e-3), { wrt: nnx.Param });
 * const grads = nnx.grad(lossFn)(model, x, y);
 * optimizer.update(model, grads); // model's Params updated in place
 */
export class Optimizer extends Pytree {
  /** How many updates have been applied (uint32 scalar). */
  step: OptState;
  opt_state: unknown;
  /** The optax transformation (e.g. `optax.adam(1e-3)`). */
  readonly tx: optax.GradientTransformation;
  /** Which Variables of the model are optimized. */
  readonly wrt: Filter;

  /**
   * An Optimizer for `model`: `tx.init` runs on the model's `wrt` Variables now.
   *
   * @param model - the module whose Variables are optimized (pass the same one to `update`).
   * @param tx - an optax gradient transformation, e.g. `optax.adam(1e-3)`.
   * @param options - `wrt`: which Variables to optimize (default `nnx.Param`).
   */
  constructor(model: unknown, tx: optax.GradientTransformation, { wrt = Param }: OptimizerOptions = {}) {
    super();
    if (typeof tx?.init !== "function" || typeof tx?.update !== "function") {
      throw new Error("Optimizer: tx must be an optax gradient transformation (with init and update)");
    }
    toPredicate(wrt); // a bad filter fails here, not at the first update
    this.tx = tx;
    this.wrt = wrt;
    this.step = new OptState(np.array(0, { dtype: np.uint32 }));
    // Copies of the model's Variables holding new references: init's state mirrors them (mu, nu become OptVariables).
    this.opt_state = wrapOptState(tx.init(optax.treeRef(this.paramsOf(model))));
  }

  /** The optimizer state (its Variables), as `opt_state`. */
  get optState(): unknown {
    return this.opt_state;
  }

  /**
   * Apply one step: the transformation turns `grads` (a State shaped like the
   * model's `wrt` Variables, as `nnx.grad` returns it) into updates, which are
   * added to the model's Variables in place. `grads` is consumed.
   */
  update(model: unknown, grads: State): void {
    if (!(grads instanceof State)) {
      throw new Error(`Optimizer.update: grads must be an nnx.State (as nnx.grad returns), got ${String(grads)}`);
    }
    const live = this.paramsOf(model);
    this.checkSameLeaves(live, grads);
    const gradTree = stateToPlain(grads, (v) => v.value, "Optimizer.update grads");
    for (const [, leaf] of grads.flatState()) if (leaf instanceof Variable) leaf.dispose();
    const params = stateToPlain(live, (v) => v.value, "Optimizer.update");
    const [updates, next] = this.tx.update(gradTree, readOptState(this.opt_state) as optax.OptState, optax.treeRef(params));
    writeOptState(this.opt_state, next);
    const updated = optax.applyUpdates(params, updates);
    for (const [path, variable] of live.flatState()) (variable as Variable).value = plainAt(updated, path);
    this.step.value = this.step.value.add(np.array(1, { dtype: np.uint32 }));
  }

  private paramsOf(model: unknown): State {
    const params = stateOf(model, this.wrt);
    if (params.size === 0) throw new Error(`Optimizer: the model has no Variables matching wrt; nothing to optimise`);
    return params;
  }

  private checkSameLeaves(live: State, grads: State): void {
    const key = (path: TreePath) => JSON.stringify(path);
    const want = live.flatState().map(([p]) => p);
    const have = grads.flatState().map(([p]) => p);
    const wantKeys = new Set(want.map(key));
    const haveKeys = new Set(have.map(key));
    const missing = want.filter((p) => !haveKeys.has(key(p)));
    const extra = have.filter((p) => !wantKeys.has(key(p)));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [];
      if (missing.length > 0) parts.push(`missing ${formatPaths(missing)}`);
      if (extra.length > 0) parts.push(`unexpected ${formatPaths(extra)}`);
      throw new Error(`Optimizer.update: grads do not match the model's optimised Variables (${parts.join("; ")})`);
    }
    for (const [path, leaf] of grads.flatState()) {
      const g = leaf instanceof Variable ? leaf.raw : leaf;
      const p = (live.at(...path) as Variable).raw;
      const gs = (g as jax.Array).shape;
      if (gs.length !== p.shape.length || gs.some((d, i) => d !== p.shape[i])) {
        throw new Error(`Optimizer.update: the gradient at ${path.join(".")} has shape [${gs}], the parameter [${p.shape}]`);
      }
    }
  }
}
