/**
 * The notebook scope: every name declared at the top level of a cell lives
 * here, so later cells see it.
 *
 * Array ownership in a notebook (the rule the README quotes):
 *
 *   A jax-js Array bound to a top-level name of the notebook stays usable
 *   however often it is passed on. The binding owns one reference; wherever
 *   code of a cell hands the name over (a function or method argument, the
 *   receiver of a method call such as `x.add(1)`, an initializer `const y = x`,
 *   an assignment, an array or object literal element, a default value, a
 *   class field, a `return x` or `yield x`), the kernel passes a new reference
 *   (`x.ref`) instead, which the receiver owns and consumes as usual. This
 *   holds in all code a cell defines: its top level and the functions, arrow
 *   functions, methods, getters and callbacks it defines (a `lossFn` closing
 *   over `x` and `y`, however often `nnx.valueAndGrad` calls it). Reading a
 *   property (`x.shape`), destructuring (`const { shape } = x`) or passing the
 *   name to `display`/`console` takes no reference. When the name is bound to
 *   something else (a re-run of `const x = ...`, `x = ...`) or the kernel shuts
 *   down, the binding's reference is released. A function's own locals
 *   (parameters, its `let`/`const`/`var`, catch and loop variables, also when
 *   named like a notebook binding) keep jax-js's move rules unchanged, and
 *   arrays inside objects or lists are not managed: only arrays bound directly
 *   to a name.
 *
 * Costs: a reference is taken only where a name is handed over, and the
 * receiver consumes it, so no array outlives the call (a program traced by
 * `nnx.jit` keeps the arrays it closed over, as JAX bakes them in as
 * constants, until it is disposed). `use` on a value that is not an array is
 * a few property checks.
 */
import { isLiveArray } from "./jax-array.js";

/** Array methods that leave `this` alive, so calling them needs no extra reference. */
const NON_CONSUMING_METHODS = new Set(["toString", "dispose", "blockUntilReady", "gpuBuffer", "gpuBufferSync"]);

/** A reference for a consumer: arrays get their own, anything else passes through. */
export function use<T>(value: T): T {
  return isLiveArray(value) ? (value.ref as T) : value;
}

/** The receiver of `value.method(...)`: a reference only if the method consumes `this`. */
export function useFor<T>(value: T, method: string): T {
  return NON_CONSUMING_METHODS.has(method) ? value : use(value);
}

export class NotebookScope {
  /** Bindings resolve through `with (scope)`: no prototype, so `toString` and friends do not leak in. */
  readonly bindings: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  private readonly values = new Map<string, unknown>();

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): unknown {
    return this.values.get(name);
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  /** Makes `name` a binding (keeping its value if it exists). */
  declare(name: string): void {
    if (this.values.has(name)) return;
    this.values.set(name, undefined);
    Object.defineProperty(this.bindings, name, {
      enumerable: true,
      configurable: true,
      get: () => this.values.get(name),
      set: (value: unknown) => this.set(name, value),
    });
  }

  /**
   * Binds `name` to `value`, releasing the reference the binding held. An
   * assignment hands over a reference, so re-binding the same array (`x = x`)
   * releases the surplus one.
   */
  set(name: string, value: unknown): void {
    this.declare(name);
    const old = this.values.get(name);
    this.values.set(name, value);
    if (isLiveArray(old)) old.dispose();
  }

  /** Releases every array the notebook holds (kernel shutdown or restart). */
  dispose(): void {
    for (const name of this.names()) this.set(name, undefined);
  }
}
