/**
 * `Module`: the base class of layers and models (Flax's `nnx.Module`).
 * Subclasses assign Variables and submodules as attributes in their
 * constructor and define `call(...)`, the forward pass.
 */
import type { TreePath } from "../runtime/pytree.js";
import { iterGraph } from "./graph.js";
import { Pytree } from "./pytreelib.js";

/** Options of `Module.setAttributes`. */
export interface SetAttributesOptions {
  /** Raise when some attribute exists on no module (default true). */
  raiseIfNotFound?: boolean;
}

/**
 * Base class of layers and models (Flax's `nnx.Module`).
 *
 * Subclass it: assign Variables (`nnx.Param`, ...) and submodules as attributes in
 * the constructor, and write the forward pass as a method (by convention `call`).
 * A module is a graph node, so `nnx.state`, `nnx.split`, `nnx.grad`, `nnx.jit` and
 * `nnx.Optimizer` find its Variables by attribute path. `train()` / `eval()` switch
 * Dropout and BatchNorm throughout the model.
 *
 * @example
 * class MLP extends nnx.Module {
 *   linear1: nnx.Linear;
 *   linear2: nnx.Linear;
 *   constructor(din: number, dout: number, rngs: nnx.Rngs) {
 *     super();
 *     this.linear1 = new nnx.Linear(din, 16, { rngs });
 *     this.linear2 = new nnx.Linear(16, dout, { rngs });
 *   }
 *   call(x: jax.Array): jax.Array {
 *     return this.linear2.call(jax.nn.relu(this.linear1.call(x)));
 *   }
 * }
 * const model = new MLP(2, 1, new nnx.Rngs(0));
 */
export class Module extends Pytree {
  /** This module and every submodule (each once), with their paths, parents first. */
  iterModules(): Generator<[TreePath, Module]> {
    return iterModules(this);
  }

  /**
   * Set each attribute on every module that has it (an attribute that is not
   * undefined), as Flax's `set_attributes`.
   */
  setAttributes(attributes: Record<string, unknown>, options: SetAttributesOptions = {}): void {
    const found = new Set<string>();
    for (const [, module] of this.iterModules()) {
      for (const [name, value] of Object.entries(attributes)) {
        if ((module as unknown as Record<string, unknown>)[name] === undefined) continue;
        (module as unknown as Record<string, unknown>)[name] = value;
        found.add(name);
      }
    }
    const missing = Object.keys(attributes).filter((name) => !found.has(name));
    if ((options.raiseIfNotFound ?? true) && missing.length > 0) {
      throw new Error(`setAttributes: no module under ${this.constructor.name} has the attribute(s) ${missing.join(", ")}`);
    }
  }

  /** Training mode: `deterministic = false`, `useRunningAverage = false` wherever defined. */
  train(attributes: Record<string, unknown> = {}): void {
    this.setAttributes({ deterministic: false, useRunningAverage: false, ...attributes }, { raiseIfNotFound: false });
  }

  /** Evaluation mode: `deterministic = true`, `useRunningAverage = true` wherever defined. */
  eval(attributes: Record<string, unknown> = {}): void {
    this.setAttributes({ deterministic: true, useRunningAverage: true, ...attributes }, { raiseIfNotFound: false });
  }
}

/** Every module in a graph with its path (Flax's `nnx.iter_modules`). */
export function* iterModules(root: unknown): Generator<[TreePath, Module]> {
  for (const [path, value] of iterGraph(root)) if (value instanceof Module) yield [path, value];
}
