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

export type OptState = ArrayTree;

export interface GradientTransformation {
  init(params: ArrayTree): OptState;
  update<T extends ArrayTree>(updates: T, state: OptState, params?: ArrayTree): [T, OptState];
}

/** A learning rate (or other hyper-parameter) as a function of the step count. */
export type Schedule = (step: number) => number;
export type ScalarOrSchedule = number | Schedule;
