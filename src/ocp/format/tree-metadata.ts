import { keyStrings } from "./leaf-path.js";
import { pythonJsonDumps, pythonTupleRepr } from "./python-json.js";
import type { KeyType, LeafPath } from "./types.js";
import { parseJsonObject } from "./zarr/json.js";

/** Orbax's `value_type` strings for the leaves tsnnx writes and reads. */
export type ValueType = "jax.Array" | "np.ndarray" | "scalar" | "string";

export interface TreeMetadataEntry {
  path: LeafPath;
  valueType: string;
  /** Legacy layout: the value lives in the msgpack `checkpoint` file rather than in its own array. */
  skipDeserialize: boolean;
}

export interface TreeMetadataFile {
  entries: TreeMetadataEntry[];
  useOcdbt: boolean | undefined;
  useZarr3: boolean | undefined;
  customMetadata: unknown;
}

export function encodeTreeMetadata(
  leaves: { path: LeafPath; valueType: ValueType; writeShape?: number[] }[],
  options: { useOcdbt: boolean; customMetadata?: unknown },
): string {
  const tree: Record<string, unknown> = {};
  for (const leaf of leaves) {
    const keys = keyStrings(leaf.path);
    tree[pythonTupleRepr(keys)] = {
      key_metadata: keys.map((key, i) => ({ key, key_type: leaf.path.keyTypes[i] })),
      value_metadata: {
        value_type: leaf.valueType,
        skip_deserialize: false,
        ...(leaf.writeShape ? { write_shape: leaf.writeShape } : {}),
      },
    };
  }
  return pythonJsonDumps({
    tree_metadata: tree,
    use_ocdbt: options.useOcdbt,
    use_zarr3: false,
    store_array_data_equal_to_fill_value: true,
    custom_metadata: options.customMetadata ?? null,
  });
}

export function decodeTreeMetadata(bytes: Uint8Array, what: string): TreeMetadataFile {
  const json = parseJsonObject(bytes, what);
  const tree = json.tree_metadata;
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) throw new Error(`${what}: corrupted metadata, "tree_metadata" must be an object`);
  const entries = Object.entries(tree as Record<string, unknown>).map(([name, raw]): TreeMetadataEntry => {
    const where = `${what}: tree_metadata[${JSON.stringify(name)}]`;
    const entry = raw as { key_metadata?: unknown; value_metadata?: { value_type?: unknown; skip_deserialize?: unknown } };
    if (!Array.isArray(entry?.key_metadata) || entry.key_metadata.length === 0) throw new Error(`${where}: corrupted metadata, "key_metadata" must be a non-empty list`);
    const keys: (string | number)[] = [];
    const keyTypes: KeyType[] = [];
    for (const k of entry.key_metadata as { key?: unknown; key_type?: unknown }[]) {
      if (typeof k?.key !== "string" && typeof k?.key !== "number") throw new Error(`${where}: corrupted metadata, key ${JSON.stringify(k)} has no "key"`);
      if (k.key_type === 1) {
        const n = Number(k.key);
        if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${where}: sequence key ${JSON.stringify(k.key)} is not a non-negative integer`);
        keys.push(n);
        keyTypes.push(1);
      } else if (k.key_type === 2) {
        keys.push(String(k.key));
        keyTypes.push(2);
      } else {
        throw new Error(`${where}: corrupted metadata, unknown key_type ${JSON.stringify(k.key_type)}`);
      }
    }
    const valueType = entry.value_metadata?.value_type;
    if (typeof valueType !== "string") throw new Error(`${where}: corrupted metadata, "value_metadata.value_type" is missing`);
    return { path: { keys, keyTypes }, valueType, skipDeserialize: entry.value_metadata?.skip_deserialize === true };
  });
  const flag = (v: unknown) => (typeof v === "boolean" ? v : undefined);
  return { entries, useOcdbt: flag(json.use_ocdbt), useZarr3: flag(json.use_zarr3), customMetadata: json.custom_metadata ?? undefined };
}
