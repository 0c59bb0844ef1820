import { ByteReader, ByteWriter } from "../bytes.js";
import { commonPrefix, type DataFileRef, readDataFileTable, writeDataFileTable } from "./data-file-table.js";
import { BTREE_NODE_MAGIC, decodeEncodedNode, encodeEncodedNode } from "./encoded-node.js";

/** A value either inline in its leaf or a byte range of a data file. */
export type StoredValue =
  | { kind: "inline"; bytes: Uint8Array }
  | { kind: "indirect"; file: DataFileRef; offset: number; length: number };

export interface LeafEntry {
  /** Key relative to the prefix the path from the root defines. */
  key: Uint8Array;
  value: StoredValue;
}

export interface ChildRef {
  /** Key relative to the node's prefix where the child's range starts. */
  key: Uint8Array;
  /** How many bytes of `key` every key in the child's subtree shares (the child stores keys without them). */
  subtreeCommonPrefixLength: number;
  file: DataFileRef;
  offset: number;
  length: number;
}

export type BtreeNode = { height: 0; entries: LeafEntry[] } | { height: number; children: ChildRef[] };

function readKeys(r: ByteReader, count: number, extraColumn: boolean): { keys: Uint8Array[]; extra: number[] } {
  const prefixLengths = [0];
  for (let i = 1; i < count; i++) prefixLengths.push(r.varint());
  const suffixLengths: number[] = [];
  for (let i = 0; i < count; i++) suffixLengths.push(r.varint());
  const extra: number[] = [];
  if (extraColumn) for (let i = 0; i < count; i++) extra.push(r.varint());
  const keys: Uint8Array[] = [];
  let previous = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    if (prefixLengths[i] > previous.length) throw new Error(`${r.what}: B+tree key prefix length ${prefixLengths[i]} exceeds the previous key`);
    const key = new Uint8Array(prefixLengths[i] + suffixLengths[i]);
    key.set(previous.subarray(0, prefixLengths[i]));
    key.set(r.take(suffixLengths[i]), prefixLengths[i]);
    keys.push(key);
    previous = key;
  }
  return { keys, extra };
}

function fileAt(files: DataFileRef[], id: number, what: string): DataFileRef {
  const f = files[id];
  if (!f) throw new Error(`${what}: B+tree node refers to data file #${id}, but its table has ${files.length}`);
  return f;
}

export async function decodeBtreeNode(bytes: Uint8Array, what: string): Promise<BtreeNode> {
  const body = await decodeEncodedNode(bytes, BTREE_NODE_MAGIC, what);
  const r = new ByteReader(body, what);
  const height = r.u8();
  const files = readDataFileTable(r);
  const count = r.varint();
  if (height === 0) {
    const { keys } = readKeys(r, count, false);
    const lengths: number[] = [];
    for (let i = 0; i < count; i++) lengths.push(r.varint());
    const kinds: number[] = [];
    for (let i = 0; i < count; i++) {
      const k = r.varint();
      if (k !== 0 && k !== 1) throw new Error(`${what}: unknown B+tree value kind ${k}`);
      kinds.push(k);
    }
    const indirect = kinds.flatMap((k, i) => (k === 1 ? [i] : []));
    const ids = indirect.map(() => r.varint());
    const offsets = indirect.map(() => r.varint());
    const values: StoredValue[] = new Array(count);
    indirect.forEach((i, j) => (values[i] = { kind: "indirect", file: fileAt(files, ids[j], what), offset: offsets[j], length: lengths[i] }));
    for (let i = 0; i < count; i++) if (kinds[i] === 0) values[i] = { kind: "inline", bytes: r.take(lengths[i]) };
    return { height: 0, entries: keys.map((key, i) => ({ key, value: values[i] })) };
  }
  const { keys, extra: commonLengths } = readKeys(r, count, true);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(r.varint());
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(r.varint());
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) lengths.push(r.varint());
  // Statistics columns follow; reading does not need them.
  return {
    height,
    children: keys.map((key, i) => {
      if (commonLengths[i] > key.length) throw new Error(`${what}: subtree common prefix longer than its key`);
      return { key, subtreeCommonPrefixLength: commonLengths[i], file: fileAt(files, ids[i], what), offset: offsets[i], length: lengths[i] };
    }),
  };
}

/** A leaf entry to encode: inline bytes, or a range of one of the node's data files (by index into `dataFiles`). */
export type LeafValueToWrite = { kind: "inline"; bytes: Uint8Array } | { kind: "indirect"; fileIndex: number; offset: number; length: number };

/** Encodes a leaf node (height 0); `entries` must be sorted by key bytes. */
export async function encodeLeafNode(entries: { key: Uint8Array; value: LeafValueToWrite }[], dataFiles: string[], zstdLevel: number): Promise<Uint8Array> {
  const w = new ByteWriter();
  w.u8(0);
  writeDataFileTable(w, dataFiles);
  w.varint(entries.length);
  const prefixes = entries.map((e, i) => (i === 0 ? 0 : commonPrefix(entries[i - 1].key, e.key)));
  for (let i = 1; i < entries.length; i++) w.varint(prefixes[i]);
  for (let i = 0; i < entries.length; i++) w.varint(entries[i].key.length - prefixes[i]);
  for (let i = 0; i < entries.length; i++) w.bytes(entries[i].key.subarray(prefixes[i]));
  for (const e of entries) w.varint(e.value.kind === "inline" ? e.value.bytes.length : e.value.length);
  for (const e of entries) w.varint(e.value.kind === "inline" ? 0 : 1);
  for (const e of entries) if (e.value.kind === "indirect") w.varint(e.value.fileIndex);
  for (const e of entries) if (e.value.kind === "indirect") w.varint(e.value.offset);
  for (const e of entries) if (e.value.kind === "inline") w.bytes(e.value.bytes);
  return encodeEncodedNode(BTREE_NODE_MAGIC, w.finish(), zstdLevel);
}
