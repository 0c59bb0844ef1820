/** Training: the optimizer bound to a model (Flax's nnx.training). */
export { Optimizer, type OptimizerOptions } from "./optimizer.js";
export { OptState, OptArray, OptVariable } from "./opt-state.js";
