import { ByteReader, ByteWriter } from "../bytes.js";
import { type DataFileRef, readDataFileTable, writeDataFileTable } from "./data-file-table.js";
import { decodeEncodedNode, encodeEncodedNode, MANIFEST_MAGIC } from "./encoded-node.js";

/** Where a B+tree root lives: a byte range of a data file. */
export interface NodeLocation {
  file: DataFileRef;
  offset: number;
  length: number;
}

export interface RootVersion {
  generation: number;
  /** Height of the root B+tree node; null when the version has no root (an empty database). */
  root: { height: number; location: NodeLocation } | null;
}

export interface Manifest {
  /** The newest version (the manifest always holds the newest ones inline); undefined for a database never written. */
  latest: RootVersion | undefined;
}

// A root reference of length 0 means "no root": the version holds an empty tree.
const NO_ROOT_LENGTH = 0;

export async function decodeManifest(bytes: Uint8Array, what: string): Promise<Manifest> {
  const body = await decodeEncodedNode(bytes, MANIFEST_MAGIC, what);
  const r = new ByteReader(body, what);
  r.take(16); // database uuid
  const manifestKind = r.varint();
  if (manifestKind !== 0) {
    throw new Error(`${what}: OCDBT manifest kind ${manifestKind} (numbered manifests) is not supported; only single-file manifests are`);
  }
  r.varint(); // max_inline_value_bytes: a writer's setting
  r.varint(); // max_decoded_node_bytes: likewise
  const arityLog2 = r.u8();
  if (arityLog2 < 1 || arityLog2 > 16) throw new Error(`${what}: invalid version_tree_arity_log2 ${arityLog2}`);
  const compressionMethod = r.varint();
  if (compressionMethod === 1) r.i32le();
  else if (compressionMethod !== 0) throw new Error(`${what}: unknown compression method ${compressionMethod}`);
  const files = readDataFileTable(r);
  const count = r.varint();
  const generations: number[] = [];
  for (let i = 0; i < count; i++) generations.push(r.varint());
  const heights: number[] = [];
  for (let i = 0; i < count; i++) heights.push(r.u8());
  const locations: { fileId: number; offset: number; length: number }[] = [];
  for (let i = 0; i < count; i++) locations.push({ fileId: r.varint(), offset: 0, length: 0 });
  for (let i = 0; i < count; i++) locations[i].offset = r.varint();
  for (let i = 0; i < count; i++) locations[i].length = r.varint();
  // The remaining columns (statistics, commit times, older version nodes) are not needed to read the newest version.
  if (count === 0) return { latest: undefined };
  const last = count - 1;
  const loc = locations[last];
  if (loc.length === NO_ROOT_LENGTH) return { latest: { generation: generations[last], root: null } };
  const file = files[loc.fileId];
  if (!file) throw new Error(`${what}: root refers to data file #${loc.fileId}, but the table has ${files.length}`);
  return {
    latest: { generation: generations[last], root: { height: heights[last], location: { file, offset: loc.offset, length: loc.length } } },
  };
}

export interface ManifestToWrite {
  uuid: Uint8Array;
  maxInlineValueBytes: number;
  maxDecodedNodeBytes: number;
  /** The single version written: generation 1. */
  root: { height: number; path: string; offset: number; length: number; numKeys: number; numTreeBytes: number; numIndirectValueBytes: number };
  commitTimeNs: bigint;
}

const VERSION_TREE_ARITY_LOG2 = 4;

export async function encodeManifest(m: ManifestToWrite): Promise<Uint8Array> {
  const w = new ByteWriter();
  w.bytes(m.uuid);
  w.varint(0); // manifest kind: single file
  w.varint(m.maxInlineValueBytes);
  w.varint(m.maxDecodedNodeBytes);
  w.u8(VERSION_TREE_ARITY_LOG2);
  w.varint(1); // zstd
  w.i32le(0); // tensorstore's default level
  writeDataFileTable(w, [m.root.path]);
  w.varint(1); // one inline version
  w.varint(1); // generation number
  w.u8(m.root.height);
  w.varint(0); // data file id
  w.varint(m.root.offset);
  w.varint(m.root.length);
  w.varint(m.root.numKeys);
  w.varint(m.root.numTreeBytes);
  w.varint(m.root.numIndirectValueBytes);
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, m.commitTimeNs, true);
  w.bytes(time);
  w.varint(0); // no older version tree nodes
  return encodeEncodedNode(MANIFEST_MAGIC, w.finish(), 0);
}
