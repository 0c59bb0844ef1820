import { randomBytes } from "node:crypto";
import { mapWithLimit } from "../concurrency.js";
import { fileStorage } from "../../storage/file-storage.js";
import { joinLocation } from "../../storage/location.js";
import type { AppendableFile, Storage } from "../../storage/storage.js";
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

/**
 * A value in hand, or one produced while its data file is written. Produced
 * values of one sequence (the chunks of one array) share a data file and are
 * written in order, the next ones being produced while one is written.
 */
export type OcdbtValue = { key: string; bytes: Uint8Array } | ProducedValue;
type ProducedValue = { key: string; sequence: string; produce(): Promise<Uint8Array> };
type ValueInHand = { key: string; bytes: Uint8Array };

/** A data file: values in hand packed together, or one sequence of produced values. */
type DataFile = { path: string; values: ValueInHand[] } | { path: string; produced: ProducedValue[] };

/** Values of a sequence produced ahead of the one being written: enough to keep the cores compressing while the disk writes. */
const PRODUCED_AHEAD = 2;

/** Groups small values in order into data files of at most the target size; large values get a file each, each sequence one. */
function planDataFiles(values: OcdbtValue[]): DataFile[] {
  const files: DataFile[] = [];
  const sequences = new Map<string, ProducedValue[]>();
  let current: { path: string; values: ValueInHand[] } | undefined;
  let currentSize = 0;
  for (const v of values) {
    if ("produce" in v) {
      let sequence = sequences.get(v.sequence);
      if (!sequence) {
        sequences.set(v.sequence, (sequence = []));
        files.push({ path: newDataFileName(), produced: sequence });
      }
      sequence.push(v);
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

/** Writes the parts back to back without first copying them into one buffer; with `flush`, durably. */
async function writeParts(storage: Storage, path: string, parts: Uint8Array[], flush: boolean): Promise<void> {
  const file = storage.appendable(path);
  try {
    for (const part of parts) await file.append(part);
  } catch (e) {
    await file.abandon();
    throw e;
  }
  await file.finish(flush);
}

/**
 * Writes a fresh single-version OCDBT database into `dir`: values over 1024
 * bytes go out of line, packed into data files; the rest inline in the
 * B+tree (one leaf, or leaves under an interior root for big trees), whose
 * nodes share a data file of their own; then `manifest.ocdbt`. A produced
 * value is made when its data file is written and goes inline instead if it
 * turns out small. Returns the bytes written.
 */
export async function writeOcdbt(dir: string, values: OcdbtValue[], options: { onValueWritten?: (key: string) => void; flush?: boolean; storage?: Storage } = {}): Promise<number> {
  const { onValueWritten, flush = false, storage = fileStorage } = options;
  await storage.makeFolder(joinLocation(dir, "d"));
  const sorted = values.map((v) => ({ value: v, keyBytes: utf8.encode(v.key) })).sort((a, b) => compareBytes(a.keyBytes, b.keyBytes));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].value.key === sorted[i - 1].value.key) throw new Error(`OCDBT write to ${dir}: key ${JSON.stringify(sorted[i].value.key)} given twice`);
  }
  const dataFiles = planDataFiles(sorted.map((v) => v.value));
  const location = new Map<string, { fileIndex: number; offset: number; length: number }>();
  const inline = new Map<string, Uint8Array>();
  for (const { value } of sorted) if ("bytes" in value && value.bytes.length <= MAX_INLINE_VALUE_BYTES) inline.set(value.key, value.bytes);

  let written = 0;
  const stored = (key: string, fileIndex: number, offset: number, length: number) => {
    location.set(key, { fileIndex, offset, length });
    written += length;
    onValueWritten?.(key);
  };
  await mapWithLimit(dataFiles, PARALLEL_FILES, async (f, fileIndex) => {
    if ("produced" in f) {
      await writeSequence(storage.appendable(joinLocation(dir, f.path)), f.produced, flush, (v, bytes, offset) => {
        if (offset === undefined) inline.set(v.key, bytes);
        else stored(v.key, fileIndex, offset, bytes.length);
      });
      return;
    }
    await writeParts(storage, joinLocation(dir, f.path), f.values.map((v) => v.bytes), flush);
    let offset = 0;
    for (const v of f.values) {
      stored(v.key, fileIndex, offset, v.bytes.length);
      offset += v.bytes.length;
    }
  });
  const indirectBytes = written;
  const entries = sorted.map(({ value, keyBytes }): EntryToWrite => {
    const at = location.get(value.key);
    return { key: keyBytes, value: at ? { kind: "indirect", ...at } : { kind: "inline", bytes: inline.get(value.key)! } };
  });
  const nodePath = newDataFileName();
  const tree = await buildBtree(entries, dataFiles.map((f) => f.path), nodePath);
  await writeParts(storage, joinLocation(dir, nodePath), tree.nodes, flush);
  const treeBytes = tree.nodes.reduce((a, n) => a + n.length, 0);
  const manifest = await encodeManifest({
    uuid: randomBytes(16),
    maxInlineValueBytes: MAX_INLINE_VALUE_BYTES,
    maxDecodedNodeBytes: MAX_DECODED_NODE_BYTES,
    root: { ...tree.root, path: nodePath, numKeys: entries.length, numTreeBytes: treeBytes, numIndirectValueBytes: indirectBytes },
    commitTimeNs: BigInt(Date.now()) * 1_000_000n,
  });
  await storage.write(joinLocation(dir, "manifest.ocdbt"), manifest);
  for (const key of inline.keys()) onValueWritten?.(key);
  return written + treeBytes + manifest.length;
}

/**
 * Produces a sequence's values in order, PRODUCED_AHEAD ahead of the one
 * being written, and appends each to the data file; a value that turns out
 * small goes inline instead (`done` gets no offset). On failure it waits for
 * the values still being produced (they may read memory the caller frees
 * once this returns).
 */
async function writeSequence(file: AppendableFile, values: ProducedValue[], flush: boolean, done: (v: ProducedValue, bytes: Uint8Array, offset?: number) => void): Promise<void> {
  const started: Promise<Uint8Array>[] = [];
  const start = (k: number) => {
    if (k >= values.length || started[k] !== undefined) return;
    started[k] = values[k].produce();
    // A value made ahead may fail before its turn: that is reported when its turn comes, not as an unhandled rejection.
    started[k].catch(() => undefined);
  };
  try {
    for (let k = 0; k < values.length; k++) {
      for (let ahead = 0; ahead <= PRODUCED_AHEAD; ahead++) start(k + ahead);
      const bytes = await started[k];
      if (bytes.length <= MAX_INLINE_VALUE_BYTES) done(values[k], bytes);
      else {
        done(values[k], bytes, await file.append(bytes));
        if (flush) file.flushInBackground();
      }
    }
  } catch (e) {
    await Promise.allSettled(started);
    await file.abandon();
    throw e;
  }
  await file.finish(flush);
}
