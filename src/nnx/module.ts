/**
 * `Module`: the base class of layers and models (Flax's `nnx.Module`).
 * Subclasses assign Variables and submodules as attributes in their
 * constructor and define `call(...)`, the forward pass.
 */
import type { TreePath } from "../runtime/pytree.js";
import { iterGraph } from "./graph.js";
import { Pytree } from "./pytreelib.js";

export interface SetAttributesOptions {
  /** Raise when some attribute exists on no module (default true). */
  raiseIfNotFound?: boolean;
}

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
