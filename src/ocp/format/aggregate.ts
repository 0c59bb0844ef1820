import { isStoredDType, itemSize, elementCount } from "./dtype.js";
import { keyStrings } from "./leaf-path.js";
import { decodeMsgpack, type MsgpackExt, type MsgpackValue } from "./msgpack.js";
import type { LeafPath, LeafValue } from "./types.js";

/**
 * The legacy aggregate file (`checkpoint`): one msgpack map holding the whole
 * tree as Flax's serialization writes it. Arrays are msgpack extension 1
 * carrying (shape, dtype name, C-order bytes); numpy scalars are extension 3
 * (dtype name, bytes). A string "PLACEHOLDER://name" means the value was
 * written as its own zarr array instead.
 */
const EXT_NDARRAY = 1;
const EXT_NPSCALAR = 3;
const PLACEHOLDER = "PLACEHOLDER://";

export interface Aggregate {
  /** The leaf stored in the aggregate at `path`; undefined when absent or a placeholder for a zarr array. */
  lookup(path: LeafPath): LeafValue | undefined;
}

export function parseAggregate(bytes: Uint8Array, what: string): Aggregate {
  const root = decodeMsgpack(bytes, what);
  return {
    lookup(path) {
      let node: MsgpackValue | undefined = root;
      for (const key of keyStrings(path)) {
        if (node instanceof Map) node = node.get(key);
        else if (Array.isArray(node)) node = node[Number(key)];
        else return undefined;
      }
      if (node === undefined || (typeof node === "string" && node.startsWith(PLACEHOLDER))) return undefined;
      return toLeaf(node, `${what} at ${JSON.stringify(path.keys)}`);
    },
  };
}

function toLeaf(value: MsgpackValue, what: string): LeafValue {
  if (typeof value === "number") return { kind: "scalar", value };
  if (typeof value === "boolean") return { kind: "scalar", value: value ? 1 : 0 };
  if (typeof value === "string") return { kind: "string", value };
  if (typeof value === "object" && value !== null && "ext" in value) return extLeaf(value, what);
  throw new Error(`${what}: unsupported value in the aggregate file (${typeof value === "bigint" ? "integer beyond 2^53" : JSON.stringify(value)})`);
}

function extLeaf(value: MsgpackExt, what: string): LeafValue {
  const inner = decodeMsgpack(value.data, what);
  if (value.ext === EXT_NDARRAY && Array.isArray(inner) && inner.length === 3) {
    const [shape, dtype, bytes] = inner;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && d >= 0)) throw new Error(`${what}: array shape is not a list of sizes`);
    if (!isStoredDType(dtype)) throw new Error(`${what}: unsupported array dtype ${JSON.stringify(dtype)}`);
    if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: array data is not binary`);
    const dims = shape as number[];
    if (bytes.length !== elementCount(dims) * itemSize(dtype)) throw new Error(`${what}: array data holds ${bytes.length} bytes, ${dtype}${JSON.stringify(dims)} needs ${elementCount(dims) * itemSize(dtype)} (truncated)`);
    return { kind: "array", array: { dtype, shape: dims, bytes } };
  }
  if (value.ext === EXT_NPSCALAR && Array.isArray(inner) && inner.length === 2) {
    const [dtype, bytes] = inner;
    if (!isStoredDType(dtype) || !(bytes instanceof Uint8Array) || bytes.length !== itemSize(dtype)) throw new Error(`${what}: malformed numpy scalar`);
    return { kind: "array", array: { dtype, shape: [], bytes } };
  }
  throw new Error(`${what}: unsupported msgpack extension type ${value.ext}`);
}
