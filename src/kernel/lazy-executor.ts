/** The real executor, imported only when first needed so that start-up does not pay for the TypeScript compiler and jax-js. */
import type { CreateExecutor } from "./server.js";

export const createExecutor: CreateExecutor = async (options) => {
  const exec = await import("./exec/index.js");
  return exec.createExecutor(options);
};
