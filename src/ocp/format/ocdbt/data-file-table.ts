import { ByteReader, ByteWriter } from "../bytes.js";

/**
 * A data file table: (base_path, relative_path) pairs with prefix compression.
 * A node reached through entry i hands `transitive + base_path[i]` down to its children.
 */
export interface DataFileRef {
  basePath: string;
  relativePath: string;
}

const utf8 = new TextDecoder();
const utf8Encode = new TextEncoder();

export function readDataFileTable(r: ByteReader): DataFileRef[] {
  const count = r.varint();
  const prefixLengths = [0];
  for (let i = 1; i < count; i++) prefixLengths.push(r.varint());
  const suffixLengths: number[] = [];
  for (let i = 0; i < count; i++) suffixLengths.push(r.varint());
  const baseLengths: number[] = [];
  for (let i = 0; i < count; i++) baseLengths.push(r.varint());
  const files: DataFileRef[] = [];
  let previous = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    if (prefixLengths[i] > previous.length) throw new Error(`${r.what}: data file table prefix length ${prefixLengths[i]} exceeds the previous path`);
    const suffix = r.take(suffixLengths[i]);
    const path = new Uint8Array(prefixLengths[i] + suffix.length);
    path.set(previous.subarray(0, prefixLengths[i]));
    path.set(suffix, prefixLengths[i]);
    if (baseLengths[i] > path.length) throw new Error(`${r.what}: data file table base path length ${baseLengths[i]} exceeds the path`);
    files.push({ basePath: utf8.decode(path.subarray(0, baseLengths[i])), relativePath: utf8.decode(path.subarray(baseLengths[i])) });
    previous = path;
  }
  return files;
}

/** Writes a table of paths with no base path (every file lives directly under the database root). */
export function writeDataFileTable(w: ByteWriter, paths: string[]): void {
  const encoded = paths.map((p) => utf8Encode.encode(p));
  w.varint(encoded.length);
  const prefixes = encoded.map((p, i) => (i === 0 ? 0 : commonPrefix(encoded[i - 1], p)));
  for (let i = 1; i < encoded.length; i++) w.varint(prefixes[i]);
  for (let i = 0; i < encoded.length; i++) w.varint(encoded[i].length - prefixes[i]);
  for (let i = 0; i < encoded.length; i++) w.varint(0);
  for (let i = 0; i < encoded.length; i++) w.bytes(encoded[i].subarray(prefixes[i]));
}

export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
