/** tsnnx's NNX: Flax NNX's stateful module runtime on jax-js. */
export { Variable, Param, BatchStat, Cache, Intermediate, RngState, RngKey, RngCount } from "./variablelib.js";
export type { VariableClass, VariableMetadata } from "./variablelib.js";
export { Pytree } from "./pytreelib.js";
export { Module, iterModules } from "./module.js";
export type { SetAttributesOptions } from "./module.js";
export { GraphDef, split, merge, update, state, graphdef, clone, iterGraph } from "./graph.js";
export type { GraphNode } from "./graph.js";
export { State, toPureDict, replaceByPureDict, toFlatState, fromFlatState } from "./statelib.js";
export type { FlatState, PureDict, StateLeaf } from "./statelib.js";
export { Everything, Nothing, Any, All, Not, PathContains, OfType, WithTag } from "./filterlib.js";
export type { Filter, Predicate } from "./filterlib.js";
export { Rngs, RngStream } from "./rnglib.js";
export type { RngSeed } from "./rnglib.js";
export { evalShape } from "./eval-shape.js";
export { grad, valueAndGrad } from "./transforms/autodiff.js";
export type { GradOptions } from "./transforms/autodiff.js";
export { jit } from "./transforms/jit.js";
export * from "./nn/index.js";
