import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mapWithLimit } from "../concurrency.js";
import { encodeLeafNode, type LeafValueToWrite } from "./btree.js";
import { encodeManifest } from "./manifest.js";

/** tensorstore's defaults, which Orbax keeps. */
export const MAX_INLINE_VALUE_BYTES = 1024;
const MAX_DECODED_NODE_BYTES = 100_000_000;
const NODE_ZSTD_LEVEL = 1;
const PARALLEL_FILES = 16;

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const newDataFileName = () => `d/${randomBytes(16).toString("hex")}`;

/**
 * Writes a fresh single-version OCDBT database into `dir`: values over 1024
 * bytes each go to their own data file, the rest inline in one B+tree leaf,
 * which has a data file of its own; then `manifest.ocdbt`. Returns bytes written.
 */
export async function writeOcdbt(
  dir: string,
  values: { key: string; bytes: Uint8Array }[],
  onValueWritten?: (key: string) => void,
): Promise<number> {
  await mkdir(join(dir, "d"), { recursive: true });
  const sorted = values.map((v) => ({ ...v, keyBytes: utf8.encode(v.key) })).sort((a, b) => compareBytes(a.keyBytes, b.keyBytes));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].key === sorted[i - 1].key) throw new Error(`OCDBT write to ${dir}: key ${JSON.stringify(sorted[i].key)} given twice`);
  }
  const dataFiles: string[] = [];
  const entries: { key: Uint8Array; value: LeafValueToWrite }[] = [];
  const outOfLine: { path: string; bytes: Uint8Array; key: string }[] = [];
  let indirectBytes = 0;
  for (const v of sorted) {
    if (v.bytes.length <= MAX_INLINE_VALUE_BYTES) {
      entries.push({ key: v.keyBytes, value: { kind: "inline", bytes: v.bytes } });
      continue;
    }
    const path = newDataFileName();
    entries.push({ key: v.keyBytes, value: { kind: "indirect", fileIndex: dataFiles.length, offset: 0, length: v.bytes.length } });
    dataFiles.push(path);
    outOfLine.push({ path, bytes: v.bytes, key: v.key });
    indirectBytes += v.bytes.length;
  }
  const decodedSize = entries.reduce((a, e) => a + e.key.length + (e.value.kind === "inline" ? e.value.bytes.length : 0) + 16, 0);
  if (decodedSize > MAX_DECODED_NODE_BYTES) {
    throw new Error(`OCDBT write to ${dir}: ${entries.length} entries need a ${decodedSize}-byte B+tree leaf, over the ${MAX_DECODED_NODE_BYTES}-byte node limit (multi-node trees are not written yet)`);
  }

  let written = 0;
  await mapWithLimit(outOfLine, PARALLEL_FILES, async (f) => {
    await writeFile(join(dir, f.path), f.bytes);
    written += f.bytes.length;
    onValueWritten?.(f.key);
  });
  const node = await encodeLeafNode(entries, dataFiles, NODE_ZSTD_LEVEL);
  const nodePath = newDataFileName();
  await writeFile(join(dir, nodePath), node);
  const manifest = await encodeManifest({
    uuid: randomBytes(16),
    maxInlineValueBytes: MAX_INLINE_VALUE_BYTES,
    maxDecodedNodeBytes: MAX_DECODED_NODE_BYTES,
    root: { height: 0, path: nodePath, offset: 0, length: node.length, numKeys: entries.length, numTreeBytes: node.length, numIndirectValueBytes: indirectBytes },
    commitTimeNs: BigInt(Date.now()) * 1_000_000n,
  });
  await writeFile(join(dir, "manifest.ocdbt"), manifest);
  for (const v of sorted) if (v.bytes.length <= MAX_INLINE_VALUE_BYTES) onValueWritten?.(v.key);
  return written + node.length + manifest.length;
}
