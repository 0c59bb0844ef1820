/**
 * Attaches `[Symbol.for("Jupyter.display")]()` methods to the classes of the
 * lower layers, which cannot import the display layer themselves. The
 * kernel's `display(x)` and a cell's last value both go through that method,
 * so a value looks the same either way, and scripts that load tsnnx get the
 * same methods. One entry per class; a handler may return one MIME bundle or
 * an array of them (one output each). Importing this module installs them.
 */
import { CheckpointManager } from "../ocp/checkpoint-manager.js";
import { checkpointHistory } from "./checkpoint-history/index.js";
import { GraphDef } from "../nnx/graph.js";
import { Module } from "../nnx/module.js";
import { State } from "../nnx/statelib.js";
import { Optimizer } from "../nnx/training/optimizer.js";
import { Variable } from "../nnx/variablelib.js";
import { stateTree } from "./state-tree/index.js";

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

type Bundle = Record<string, unknown>;

interface DisplayHandler<T> {
  cls: abstract new (...args: any[]) => T;
  display(value: T): Bundle | Bundle[] | Promise<Bundle | Bundle[]>;
}

const handler = <T>(h: DisplayHandler<T>): DisplayHandler<unknown> => h as DisplayHandler<unknown>;

const handlers: DisplayHandler<unknown>[] = [
  handler({ cls: CheckpointManager, display: (manager) => checkpointHistory(manager) }),
  handler({ cls: Module, display: (module) => stateTree(module) }),
  handler({ cls: Optimizer, display: (optimizer) => stateTree(optimizer) }),
  handler({ cls: State, display: (state) => stateTree(state) }),
  handler({ cls: Variable, display: (variable) => stateTree(variable) }),
  handler({ cls: GraphDef, display: (graphdef) => stateTree(graphdef) }),
];

for (const { cls, display } of handlers) {
  Object.defineProperty(cls.prototype, JUPYTER_DISPLAY, {
    value(this: unknown) {
      return display(this);
    },
    configurable: true,
    writable: true,
  });
}
