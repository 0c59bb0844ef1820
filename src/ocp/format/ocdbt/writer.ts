import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { mapWithLimit } from "../concurrency.js";
import { mkdirNamed, writeError, writeFileNamed } from "../file-errors.js";
import { buildBtree, type EntryToWrite } from "./btree-build.js";
import { encodeManifest } from "./manifest.js";

/** tensorstore's defaults, which Orbax keeps. */
const MAX_INLINE_VALUE_BYTES = 1024;
const MAX_DECODED_NODE_BYTES = 100_000_000;
const PARALLEL_FILES = 16;

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const newDataFileName = () => `d/${randomBytes(16).toString("hex")}`;

/** Out-of-line values are packed into data files of about this size (tensorstore packs too), so many small arrays make few files. */
const TARGET_DATA_FILE_BYTES = 64 * 2 ** 20;
/** Values this large gain nothing from packing: each gets a file of its own, so large arrays are written in parallel. */
export const OWN_FILE_BYTES = 4 * 2 ** 20;

/** A value in hand, or one produced when its own data file is written (so producing the next overlaps writing this one). */
export type OcdbtValue = { key: string; bytes: Uint8Array } | { key: string; produce(): Promise<Uint8Array> };
type ValueInHand = { key: string; bytes: Uint8Array };

/** A data file: values in hand packed together, or one produced value. */
type DataFile = { path: string; values: ValueInHand[] } | { path: string; produced: { key: string; produce(): Promise<Uint8Array> } };

/** Groups small values in order into data files of at most the target size; large and produced values get a file each. */
function planDataFiles(values: OcdbtValue[]): DataFile[] {
  const files: DataFile[] = [];
  let current: { path: string; values: ValueInHand[] } | undefined;
  let currentSize = 0;
  for (const v of values) {
    if ("produce" in v) {
      files.push({ path: newDataFileName(), produced: v });
      continue;
    }
    if (v.bytes.length <= MAX_INLINE_VALUE_BYTES) continue;
    if (v.bytes.length >= OWN_FILE_BYTES) {
      files.push({ path: newDataFileName(), values: [v] });
      continue;
    }
    if (!current || currentSize + v.bytes.length > TARGET_DATA_FILE_BYTES) {
      current = { path: newDataFileName(), values: [] };
      currentSize = 0;
      files.push(current);
    }
    current.values.push(v);
    currentSize += v.bytes.length;
  }
  return files;
}

/** Writes the parts back to back without first copying them into one buffer; with `flush`, to the disk. */
async function writeParts(path: string, parts: Uint8Array[], flush: boolean): Promise<void> {
  let handle;
  try {
    handle = await open(path, "w");
  } catch (e) {
    throw writeError(path, e);
  }
  try {
    let position = 0;
    for (const part of parts) {
      let done = 0;
      while (done < part.length) {
        const { bytesWritten } = await handle.write(part, done, part.length - done, position + done);
        done += bytesWritten;
      }
      position += part.length;
    }
    if (flush) await handle.sync();
  } catch (e) {
    throw writeError(path, e);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a fresh single-version OCDBT database into `dir`: values over 1024
 * bytes go out of line, packed into data files; the rest inline in the
 * B+tree (one leaf, or leaves under an interior root for big trees), whose
 * nodes share a data file of their own; then `manifest.ocdbt`. A produced
 * value is made when its data file is written and goes inline instead if it
 * turns out small. Returns the bytes written.
 */
export async function writeOcdbt(dir: string, values: OcdbtValue[], options: { onValueWritten?: (key: string) => void; flush?: boolean } = {}): Promise<number> {
  const { onValueWritten, flush = false } = options;
  await mkdirNamed(join(dir, "d"));
  const sorted = values.map((v) => ({ value: v, keyBytes: utf8.encode(v.key) })).sort((a, b) => compareBytes(a.keyBytes, b.keyBytes));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].value.key === sorted[i - 1].value.key) throw new Error(`OCDBT write to ${dir}: key ${JSON.stringify(sorted[i].value.key)} given twice`);
  }
  const dataFiles = planDataFiles(sorted.map((v) => v.value));
  const location = new Map<string, { fileIndex: number; offset: number; length: number }>();
  const inline = new Map<string, Uint8Array>();
  for (const { value } of sorted) if ("bytes" in value && value.bytes.length <= MAX_INLINE_VALUE_BYTES) inline.set(value.key, value.bytes);

  let written = 0;
  await mapWithLimit(dataFiles, PARALLEL_FILES, async (f, fileIndex) => {
    let parts: ValueInHand[];
    if ("produced" in f) {
      const bytes = await f.produced.produce();
      parts = [{ key: f.produced.key, bytes }];
      if (bytes.length <= MAX_INLINE_VALUE_BYTES) {
        inline.set(f.produced.key, bytes);
        return;
      }
    } else {
      parts = f.values;
    }
    await writeParts(join(dir, f.path), parts.map((v) => v.bytes), flush);
    let offset = 0;
    for (const v of parts) {
      location.set(v.key, { fileIndex, offset, length: v.bytes.length });
      offset += v.bytes.length;
      onValueWritten?.(v.key);
    }
    written += offset;
  });
  const indirectBytes = written;
  const entries = sorted.map(({ value, keyBytes }): EntryToWrite => {
    const at = location.get(value.key);
    return { key: keyBytes, value: at ? { kind: "indirect", ...at } : { kind: "inline", bytes: inline.get(value.key)! } };
  });
  const nodePath = newDataFileName();
  const tree = await buildBtree(entries, dataFiles.map((f) => f.path), nodePath);
  await writeParts(join(dir, nodePath), tree.nodes, flush);
  const treeBytes = tree.nodes.reduce((a, n) => a + n.length, 0);
  const manifest = await encodeManifest({
    uuid: randomBytes(16),
    maxInlineValueBytes: MAX_INLINE_VALUE_BYTES,
    maxDecodedNodeBytes: MAX_DECODED_NODE_BYTES,
    root: { ...tree.root, path: nodePath, numKeys: entries.length, numTreeBytes: treeBytes, numIndirectValueBytes: indirectBytes },
    commitTimeNs: BigInt(Date.now()) * 1_000_000n,
  });
  await writeFileNamed(join(dir, "manifest.ocdbt"), manifest);
  for (const key of inline.keys()) onValueWritten?.(key);
  return written + treeBytes + manifest.length;
}
