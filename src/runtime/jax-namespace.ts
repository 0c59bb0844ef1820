/**
 * The `jax` namespace tsnnx exports: jax-js's, with `tree` replaced by
 * `./tree.ts`, which also walks tsnnx's tree nodes (State, Variable). A local
 * export shadows a star export of the same name, so everything else is jax-js's
 * own binding, values and types alike.
 */
export * from "@jax-js/jax";
export * as tree from "./tree.js";
