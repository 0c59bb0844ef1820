/**
 * Moving leaves between jax-js (or plain JS values) and host bytes in the
 * storage format's terms. Reads are async, on a reference taken at capture,
 * so they work on every device and leave the caller's array alive.
 */
import * as jax from "@jax-js/jax";
import { hostBytes } from "../runtime/host-bytes.js";
import { ShapeDtypeStruct } from "../runtime/shape-dtype.js";
import { decodeToTypedArray, encodeFromTypedArray, type DeferredArray, type HeldBytes, type HostArray, type LeafValue, type StoredDType } from "./format/index.js";

/**
 * The dtypes a jax-js array can be built with from host data. jax-js's
 * constructor tests `instanceof Float16Array` before it reaches Float64Array,
 * so where the JS engine lacks Float16Array (Node 20) neither float16 nor
 * float64 arrays can be made from data: those convert like bfloat16 and int64.
 */
export type JaxDType = "float32" | "int32" | "uint32" | "bool" | "float16" | "float64";

const hasFloat16Array = typeof (globalThis as Record<string, unknown>).Float16Array === "function";

export function jaxCanHold(dtype: StoredDType): dtype is JaxDType {
  if (dtype === "float16" || dtype === "float64") return hasFloat16Array;
  return dtype === "float32" || dtype === "int32" || dtype === "uint32" || dtype === "bool";
}

/** Where a stored dtype lands when nothing says otherwise: the nearest dtype jax-js holds. */
export function naturalJaxDType(dtype: StoredDType): JaxDType {
  if (jaxCanHold(dtype)) return dtype;
  switch (dtype as StoredDType) {
    case "bfloat16":
    case "float16":
    case "float64":
      return "float32";
    case "uint64":
      return "uint32";
    default:
      return "int32";
  }
}

const typedArrayDTypes: [new (...args: never[]) => ArrayBufferView, StoredDType][] = [
  [Float32Array, "float32"],
  [Float64Array, "float64"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [BigInt64Array, "int64"],
  [BigUint64Array, "uint64"],
];

export function typedArrayDType(value: unknown): StoredDType | undefined {
  for (const [ctor, dtype] of typedArrayDTypes) if (value instanceof ctor) return dtype;
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return value.constructor?.name ?? "object";
}

/** A leaf captured for saving: its value is fixed when it is taken, its bytes are read later. */
export interface LeafSnapshot {
  /** The leaf for the writer; an array's bytes are fetched when the writer gets to it. */
  value(): LeafValue | DeferredArray;
  /** Drops what the snapshot holds if its bytes were never fetched (a save that failed or was abandoned, an empty array). */
  release(): void;
}

/**
 * Captures a leaf for saving; `name` is its path, for errors. A jax-js array
 * is immutable, so holding a reference to it (`.ref`) fixes its value as
 * firmly as a host copy would: the caller may go on training, update or
 * dispose its arrays at once, and the bytes are read by the background write
 * (runtime/host-bytes.ts: large wasm arrays are lent in place, others
 * copied). A copy of 256 MiB out of jax-js takes 0.3-1.5 s here, which would
 * otherwise all be time save() holds the caller. Typed arrays are mutable and
 * are copied now.
 */
export function snapshotLeaf(leaf: unknown, name: string): LeafSnapshot {
  if (leaf instanceof jax.Array) {
    const dtype = leaf.dtype as JaxDType;
    const shape = [...leaf.shape];
    const held = leaf.ref;
    let done = false;
    const fetch = async (): Promise<HeldBytes> => {
      if (done) throw new Error(`The snapshot of "${name}" was already read or released`);
      done = true;
      const host = await hostBytes(held);
      if (dtype !== "bool") return host;
      // jax-js holds bool arrays as int32 (always copied); Orbax stores bool as one byte per element.
      const ints = new Int32Array(host.bytes.buffer, host.bytes.byteOffset, host.bytes.byteLength / 4);
      const bytes = encodeFromTypedArray(Uint8Array.from(ints, (v) => (v ? 1 : 0)), dtype, shape).bytes;
      host.release();
      return { bytes, release: () => undefined };
    };
    return {
      value: () => ({ kind: "deferred", dtype, shape, fetch }),
      release: () => {
        if (!done) held.dispose();
        done = true;
      },
    };
  }
  const value = plainLeafValue(leaf, name);
  return { value: () => value, release: () => undefined };
}

function plainLeafValue(leaf: unknown, name: string): LeafValue {
  if (typeof leaf === "number") return { kind: "scalar", value: leaf };
  if (typeof leaf === "string") return { kind: "string", value: leaf };
  const dtype = typedArrayDType(leaf);
  if (dtype !== undefined) {
    const view = leaf as ArrayBufferView & { length: number };
    return { kind: "array", array: encodeFromTypedArray(view, dtype, [view.length]) };
  }
  if (leaf instanceof ShapeDtypeStruct) {
    throw new Error(`Cannot save the leaf at "${name}": it is a ShapeDtypeStruct (shape and dtype only, no data); it can only be a restore template`);
  }
  throw new Error(`Cannot save the leaf at "${name}": a ${describe(leaf)} is not a jax-js array, number, string or typed array`);
}

/** What a restored array should become: a jax-js array on a device, or a typed array. */
export type ArrayTarget =
  | { kind: "jax"; dtype: JaxDType; shape: number[]; device?: jax.Device }
  | { kind: "typed"; dtype: StoredDType; shape: number[] };

/** Host bytes made into the target; the dtype must already be one the target holds (conversion is decided by the caller). */
export function hostToArray(array: HostArray, target: ArrayTarget, what: string): unknown {
  if (target.kind === "typed") {
    // A typed array handed to the caller gets its own buffer (the read buffer may be shared and large).
    if (array.dtype === target.dtype) return typedView({ ...array, bytes: array.bytes.slice() });
    return decodeToTypedArray(array, target.dtype as Parameters<typeof decodeToTypedArray>[1], what);
  }
  const device = target.device;
  if (target.dtype === "bool") {
    const ints = Int32Array.from(decodeToTypedArray(array, "bool", what) as Uint8Array);
    return jax.numpy.array(ints, { shape: target.shape, dtype: jax.DType.Bool, device });
  }
  // jax-js copies the data into device memory: a view over the read bytes spares one copy of the whole checkpoint.
  const data = array.dtype === target.dtype ? typedView(array) : decodeToTypedArray(array, target.dtype, what);
  return jax.numpy.array(data as Float32Array, { shape: target.shape, dtype: target.dtype as jax.DType, device });
}

/** The bytes seen as a typed array of their dtype: a view when aligned, else a copy. */
function typedView(array: HostArray): ArrayBufferView {
  const ctor = typedArrayDTypes.find(([, d]) => d === array.dtype)?.[0] as unknown as
    | ((new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayBufferView) & { BYTES_PER_ELEMENT: number })
    | undefined;
  if (ctor === undefined) throw new Error(`No typed array holds dtype ${array.dtype}`);
  const bytes = array.bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? array.bytes : array.bytes.slice();
  return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
}
