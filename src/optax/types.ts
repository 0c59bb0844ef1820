/**
 * Optax's core types. A gradient transformation is a pair of pure functions
 * over trees of arrays; its state is a tree whose leaves are arrays (so an
 * optimizer state checkpoints like any other tree), laid out as Optax lays it
 * out: `chain` gives a list of states, Adam an object {count, mu, nu}, a
 * stateless transformation `{}` (Optax's EmptyState).
 *
 * Ownership follows jax-js's move semantics: `init` and `update` consume every
 * array they are given (params, updates, state) and return arrays the caller
 * owns. Pass `treeRef(params)` to keep using params afterwards.
 */
import type { ArrayTree } from "./tree.js";

/** An optimizer state: a tree of arrays in Optax's layout (a list for `chain`, `{ count, mu, nu }` for Adam, `{}` when stateless). */
export type OptState = ArrayTree;

/**
 * A gradient transformation (Optax's `GradientTransformation`): a pair of functions,
 * `init(params)` -> state and `update(updates, state, params?)` -> [updates, state].
 * `init` and `update` consume the arrays they are given; pass `optax.treeRef(x)` to keep `x`.
 *
 * @example
 * const tx = optax.adam(1e-3);
 * let state = tx.init(optax.treeRef(params));
 * const [updates, next] = tx.update(grads, state, optax.treeRef(params));
 * state = next;
 * params = optax.applyUpdates(params, updates);
 */
export interface GradientTransformation {
  /** The initial state for `params` (consumed), e.g. zero moments shaped like them. */
  init(params: ArrayTree): OptState;
  /** Transform `updates` (the gradients, or the previous transformation's output) into new updates, with the next state; consumes updates, state and params. Some transformations (`addDecayedWeights`) need `params`. */
  update<T extends ArrayTree>(updates: T, state: OptState, params?: ArrayTree): [T, OptState];
}

/** A learning rate (or other hyper-parameter) as a function of the step count. */
export type Schedule = (step: number) => number;
/** A constant (a number) or a schedule of the step count, e.g. a learning rate. */
export type ScalarOrSchedule = number | Schedule;
