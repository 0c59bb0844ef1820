/**
 * What the NNX layer needs to know about leaf values: which ones are jax-js
 * arrays (concrete or traced), which are abstract (ShapeDtypeStruct), and how
 * to describe them in reprs and error messages.
 */
import * as jax from "@jax-js/jax";
import { ShapeDtypeStruct } from "../runtime/shape-dtype.js";

/**
 * jax-js's common base of concrete arrays and tracers (inside grad/jit/vmap a
 * value is a tracer, not a `jax.Array`); it is not exported, so take it from
 * the prototype chain.
 */
const Tracer = Object.getPrototypeOf(jax.Array.prototype).constructor as abstract new (...args: never[]) => jax.Array;

/** A jax-js array or tracer: a value with move semantics. */
export function isJaxArray(value: unknown): value is jax.Array {
  return value instanceof Tracer;
}

/** An array-like leaf that belongs to a module's state: real or abstract. */
export function isArrayLeaf(value: unknown): value is jax.Array | ShapeDtypeStruct {
  return isJaxArray(value) || value instanceof ShapeDtypeStruct;
}

/** A disposed jax-js array (any use would throw UseAfterFreeError). */
export function isDisposed(value: jax.Array): boolean {
  return value.refCount <= 0;
}

/** Shape and dtype of an array-like leaf, or null for other leaves. */
export function shapeDtypeOf(value: unknown): { shape: readonly number[]; dtype: string } | null {
  if (value instanceof ShapeDtypeStruct) return { shape: value.shape, dtype: value.dtype };
  if (isJaxArray(value)) {
    if (isDisposed(value)) return null;
    return { shape: value.shape, dtype: value.dtype };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return { shape: [(value as unknown as ArrayLike<number>).length], dtype: typedArrayDtype(value) };
  }
  return null;
}

function typedArrayDtype(value: ArrayBufferView): string {
  if (value instanceof Float32Array) return "float32";
  if (value instanceof Float64Array) return "float64";
  if (value instanceof Int32Array) return "int32";
  if (value instanceof Uint32Array) return "uint32";
  if (value instanceof Uint8Array) return "uint8";
  return value.constructor.name;
}

/** `float32[4,4]`: the compact form used in reprs and messages. */
export function describeLeaf(value: unknown): string {
  if (isJaxArray(value) && isDisposed(value)) return "<disposed array>";
  const sd = shapeDtypeOf(value);
  if (sd) return `${sd.dtype}[${sd.shape.join(",")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name ? `<function ${value.name}>` : "<function>";
  if (value === null || typeof value !== "object") return String(value);
  // Short lists of plain values (a kernel size, strides) read better spelled out.
  if (Array.isArray(value) && value.length <= 8 && value.every((v) => v === null || (typeof v !== "object" && typeof v !== "function"))) {
    return `[${value.map(describeLeaf).join(", ")}]`;
  }
  return `<${value.constructor?.name ?? "object"}>`;
}

/** Drop this holder's reference to a leaf, if it is an array. */
export function releaseLeaf(value: unknown): void {
  if (isJaxArray(value) && !isDisposed(value)) value.dispose();
}
