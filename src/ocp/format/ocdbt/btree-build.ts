import { ByteWriter } from "../bytes.js";
import { writeDataFileTable } from "./data-file-table.js";
import { BTREE_NODE_MAGIC, encodeEncodedNode } from "./encoded-node.js";
import { encodeLeafNode, type LeafValueToWrite } from "./btree.js";

/** Leaves are cut at about this decoded size; tensorstore refuses nodes over the manifest's max_decoded_node_bytes (100 MB). */
const LEAF_TARGET_BYTES = 8 * 2 ** 20;
const NODE_ZSTD_LEVEL = 1;

export interface EntryToWrite {
  key: Uint8Array;
  value: LeafValueToWrite;
}

/** The encoded nodes of a B+tree, in the order they are stored in one data file, and where its root is. */
export interface BuiltTree {
  nodes: Uint8Array[];
  root: { height: number; offset: number; length: number };
}

const decodedSize = (e: EntryToWrite) => e.key.length + (e.value.kind === "inline" ? e.value.bytes.length : 0) + 16;

/** A leaf's own data file table holds only the files its entries use. */
async function encodeLeaf(entries: EntryToWrite[], dataFiles: string[]): Promise<Uint8Array> {
  const used = [...new Set(entries.flatMap((e) => (e.value.kind === "indirect" ? [e.value.fileIndex] : [])))].sort((a, b) => a - b);
  const local = new Map(used.map((global, i) => [global, i]));
  const remapped = entries.map((e) => (e.value.kind === "indirect" ? { key: e.key, value: { ...e.value, fileIndex: local.get(e.value.fileIndex)! } } : e));
  return encodeLeafNode(remapped, used.map((i) => dataFiles[i]), NODE_ZSTD_LEVEL);
}

/**
 * Builds a B+tree over sorted entries whose nodes all live in `nodeFile`: one
 * leaf when it is small enough, else leaves of about 8 MiB under one
 * interior root (height 1) that keys each child by its first key.
 */
export async function buildBtree(entries: EntryToWrite[], dataFiles: string[], nodeFile: string): Promise<BuiltTree> {
  const groups: EntryToWrite[][] = [[]];
  let size = 0;
  for (const e of entries) {
    if (size + decodedSize(e) > LEAF_TARGET_BYTES && groups.at(-1)!.length > 0) {
      groups.push([]);
      size = 0;
    }
    groups.at(-1)!.push(e);
    size += decodedSize(e);
  }
  const leaves = await Promise.all(groups.map((g) => encodeLeaf(g, dataFiles)));
  if (leaves.length === 1) return { nodes: leaves, root: { height: 0, offset: 0, length: leaves[0].length } };

  const offsets: number[] = [];
  let at = 0;
  for (const leaf of leaves) {
    offsets.push(at);
    at += leaf.length;
  }
  const keys = groups.map((g, i) => (i === 0 ? new Uint8Array(0) : g[0].key));
  const w = new ByteWriter();
  w.u8(1); // height
  writeDataFileTable(w, [nodeFile]);
  w.varint(groups.length);
  // Keys are stored whole (no prefix sharing) and children keep full keys (no subtree prefix).
  for (let i = 1; i < keys.length; i++) w.varint(0);
  for (const k of keys) w.varint(k.length);
  for (let i = 0; i < keys.length; i++) w.varint(0);
  for (const k of keys) w.bytes(k);
  for (let i = 0; i < leaves.length; i++) w.varint(0);
  for (const o of offsets) w.varint(o);
  for (const leaf of leaves) w.varint(leaf.length);
  for (const g of groups) w.varint(g.length);
  for (const leaf of leaves) w.varint(leaf.length);
  for (const g of groups) w.varint(g.reduce((a, e) => a + (e.value.kind === "indirect" ? e.value.length : 0), 0));
  const root = await encodeEncodedNode(BTREE_NODE_MAGIC, w.finish(), NODE_ZSTD_LEVEL);
  return { nodes: [...leaves, root], root: { height: 1, offset: at, length: root.length } };
}
