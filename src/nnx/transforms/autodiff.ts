/**
 * `nnx.grad` and `nnx.valueAndGrad` (Flax's autodiff transforms): a function
 * `(model, ...args)` is differentiated with respect to the model's Params
 * (or the `wrt` filter); the gradient is a State of Variables of the same
 * kinds holding the gradient arrays. Under the hood: split the model, run
 * jax-js `valueAndGrad` over the Param arrays with the model rebuilt inside,
 * and write other state the function changed back to the model.
 */
import * as jax from "@jax-js/jax";
import { isJaxArray } from "../arrays.js";
import { toPredicate, type Filter } from "../filterlib.js";
import { isGraphNode } from "../graph.js";
import { Param, Variable } from "../variablelib.js";
import { fromFlatState, type State } from "../statelib.js";
import { collectChanges, leafValue, rebuildCopy, takeApart, writeBack, type TakenApart } from "./inner-copy.js";

/** Options of `nnx.grad` and `nnx.valueAndGrad`. */
export interface GradOptions {
  /** Which arguments to differentiate (default 0, the model). */
  argnums?: number | number[];
  /** The function returns `[loss, aux]`; aux is returned, not differentiated. */
  hasAux?: boolean;
  /** Which Variables of a graph-node argument to differentiate (default `nnx.Param`). */
  wrt?: Filter;
}

/** A graph-node argument, its leaves sorted into differentiated and the rest. */
interface NodeArg {
  apart: TakenApart;
  /** Indices (into apart.leaves) of the differentiated leaves. */
  diff: number[];
}

type Grad = State | jax.Array;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;
/** The gradient for an argument: an Array for an array, a State for a graph node. */
type GradOf<A> = A extends jax.Array ? jax.Array : State;
type AuxOf<F extends AnyFunction> = ReturnType<F> extends readonly [unknown, infer Aux] ? Aux : unknown;
type LossOf<F extends AnyFunction> = ReturnType<F> extends readonly [infer Loss, unknown] ? Loss : unknown;

function normalizeArgnums(argnums: number | number[] | undefined, count: number): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === "number" ? [argnums] : argnums;
  if (list.length === 0) throw new Error("nnx.grad: argnums is empty");
  for (const n of list) {
    if (!Number.isInteger(n) || n < 0 || n >= count) throw new Error(`nnx.grad: argnums ${n} is out of range for ${count} argument(s)`);
  }
  return list;
}

function valueAndGradImpl(fn: AnyFunction, options: GradOptions) {
  const selects = toPredicate(options.wrt ?? Param);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (...args: any[]): [unknown, Grad | Grad[]] => {
    const argnums = normalizeArgnums(options.argnums, args.length);
    const nodeArgs = new Map<number, NodeArg>();
    args.forEach((arg, i) => {
      if (!isGraphNode(arg)) return;
      const apart = takeApart(arg);
      const diff = argnums.includes(i) ? apart.leaves.flatMap(([path, leaf], index) => (selects(path, leaf) ? [index] : [])) : [];
      nodeArgs.set(i, { apart, diff });
    });
    for (const n of argnums) {
      if (!nodeArgs.has(n) && !isJaxArray(args[n])) throw new Error(`nnx.grad: argument ${n} is neither a graph node nor a jax-js array`);
    }
    // The differentiated inputs: for a node, its diff leaves' arrays (new references jax-js consumes).
    const primals = argnums.map((n) => {
      const node = nodeArgs.get(n);
      if (!node) return args[n] as jax.Array;
      return node.diff.map((index) => {
        const value = leafValue(node.apart.leaves[index]![1]);
        if (!isJaxArray(value)) throw new Error(`nnx.grad: the differentiated Variable at ${node.apart.leaves[index]![0].join(".")} holds no array`);
        return value.ref;
      });
    });
    let changes: { arg: number; changed: number[] }[] = [];
    const inner = (...diffInputs: unknown[]) => {
      const copies = new Map<number, ReturnType<typeof rebuildCopy>>();
      const callArgs = args.map((arg, i) => {
        const node = nodeArgs.get(i);
        if (!node) {
          const k = argnums.indexOf(i);
          return k === -1 ? arg : diffInputs[k];
        }
        const k = argnums.indexOf(i);
        const values = node.apart.leaves.map(([, leaf], index) => {
          const d = node.diff.indexOf(index);
          if (d !== -1) return (diffInputs[k] as unknown[])[d];
          const value = leafValue(leaf);
          return isJaxArray(value) ? value.ref : value;
        });
        const copy = rebuildCopy(node.apart, values);
        copies.set(i, copy);
        return copy.node;
      });
      const out = fn(...callArgs);
      const [loss, aux] = options.hasAux ? checkPair(out) : [out, undefined];
      changes = [];
      const updates: jax.Array[][] = [];
      for (const [i, copy] of copies) {
        const node = nodeArgs.get(i)!;
        const { changed, values } = collectChanges(copy);
        // Differentiated leaves are inputs; a change to them inside is not written back.
        const kept = changed.map((c, j) => [c, values[j]!] as const).filter(([c, v]) => !node.diff.includes(c) || (v.dispose(), false));
        changes.push({ arg: i, changed: kept.map(([c]) => c) });
        updates.push(kept.map(([, v]) => v));
      }
      return [loss, { aux, updates }] as never;
    };
    const [[value, extra], rawGrads] = jax.valueAndGrad(inner, { argnums: argnums.map((_, k) => k), hasAux: true })(...(primals as never[])) as unknown as [[unknown, { aux: unknown; updates: jax.Array[][] }], unknown[]];
    changes.forEach(({ arg, changed }, k) => writeBack(nodeArgs.get(arg)!.apart, changed, extra.updates[k]!));
    const grads = argnums.map((n, k) => {
      const node = nodeArgs.get(n);
      const g = (rawGrads as unknown[])[k];
      if (!node) return g as jax.Array;
      const arrays = g as jax.Array[];
      return fromFlatState(node.diff.map((index, d) => {
        const [path, leaf] = node.apart.leaves[index]!;
        return [path, leaf instanceof Variable ? leaf.withValue(arrays[d]) : arrays[d]] as const;
      }));
    });
    const result = typeof options.argnums === "object" ? grads : grads[0]!;
    return [options.hasAux ? [value, extra.aux] : value, result];
  };
}

function gradImpl(fn: AnyFunction, options: GradOptions) {
  const withValue = valueAndGradImpl(fn, options);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (...args: any[]): Grad | Grad[] | [Grad | Grad[], unknown] => {
    const [value, grads] = withValue(...args);
    if (options.hasAux) {
      const [loss, aux] = value as [jax.Array, unknown];
      if (isJaxArray(loss)) loss.dispose();
      return [grads, aux];
    }
    if (isJaxArray(value)) value.dispose();
    return grads;
  };
}

function checkPair(out: unknown): [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) throw new Error("nnx.grad with hasAux: the function must return [loss, aux]");
  return out as [unknown, unknown];
}

/**
 * `nnx.grad(lossFn)(model, ...args)`: the gradient of `lossFn` with respect
 * to the Params of argument 0 (a State), or of `argnums`; `[grads, aux]`
 * with `hasAux`; an array of gradients when argnums is an array.
 */
export function grad<F extends AnyFunction, N extends number = 0>(fn: F, options?: GradOptions & { argnums?: N; hasAux?: false }): (...args: Parameters<F>) => GradOf<Parameters<F>[N]>;
export function grad<F extends AnyFunction, N extends number = 0>(fn: F, options: GradOptions & { argnums?: N; hasAux: true }): (...args: Parameters<F>) => [GradOf<Parameters<F>[N]>, AuxOf<F>];
export function grad<F extends AnyFunction>(fn: F, options: GradOptions & { argnums: number[] }): (...args: Parameters<F>) => Grad[] | [Grad[], AuxOf<F>];
export function grad(fn: AnyFunction, options: GradOptions = {}) {
  return gradImpl(fn, options);
}

/** `nnx.valueAndGrad(lossFn)(model, ...args)`: `[loss, grads]`, or `[[loss, aux], grads]` with `hasAux`. */
export function valueAndGrad<F extends AnyFunction, N extends number = 0>(fn: F, options?: GradOptions & { argnums?: N; hasAux?: false }): (...args: Parameters<F>) => [ReturnType<F>, GradOf<Parameters<F>[N]>];
export function valueAndGrad<F extends AnyFunction, N extends number = 0>(fn: F, options: GradOptions & { argnums?: N; hasAux: true }): (...args: Parameters<F>) => [[LossOf<F>, AuxOf<F>], GradOf<Parameters<F>[N]>];
export function valueAndGrad<F extends AnyFunction>(fn: F, options: GradOptions & { argnums: number[] }): (...args: Parameters<F>) => [unknown, Grad[]];
export function valueAndGrad(fn: AnyFunction, options: GradOptions = {}) {
  return valueAndGradImpl(fn, options);
}
