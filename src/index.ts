// Must come first: jax-js reads these globals while it loads.
import "./runtime/globals.js";

export * as jax from "./runtime/jax-namespace.js";
export { numpy as np, random, lax } from "@jax-js/jax";
export * as tree from "./runtime/tree.js";
export { initRuntime, devices, ShapeDtypeStruct } from "./runtime/index.js";
export type { RuntimeReport, DeviceName } from "./runtime/index.js";
export * as nnx from "./nnx/index.js";
export * as optax from "./optax/index.js";
export * as ocp from "./ocp/index.js";
export { progress, byteProgress } from "./display/index.js";
