import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFromTypedArray, type HostArray, type LeafEntry } from "../../../src/ocp/format/index.js";

/** Orbax's own fixture checkpoints, copied into the repo (test/fixtures/orbax, see its README). */
export const FIXTURES = fileURLToPath(new URL("../../fixtures/orbax/checkpoint/orbax/checkpoint/", import.meta.url));
export const COMPAT = join(FIXTURES, "experimental/v1/_src/testing/compatibility/checkpoints");
export const LEGACY = join(FIXTURES, "testing");

/** A scratch folder removed after the suite (call in `before`, clean in `after`). */
export async function scratch(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "tsnnx-format-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function int32s(a: HostArray): number[] {
  return [...new Int32Array(new Uint8Array(a.bytes).buffer)];
}

export function int64s(a: HostArray): number[] {
  return [...new BigInt64Array(new Uint8Array(a.bytes).buffer)].map(Number);
}

export function leafByName(leaves: LeafEntry[], ...keys: (string | number)[]): LeafEntry {
  const found = leaves.find((l) => JSON.stringify(l.path.keys) === JSON.stringify(keys));
  if (!found) throw new Error(`no leaf ${JSON.stringify(keys)} among ${leaves.map((l) => JSON.stringify(l.path.keys)).join(", ")}`);
  return found;
}

export function arrayOf(leaf: LeafEntry): HostArray {
  if (leaf.value.kind !== "array") throw new Error(`leaf ${JSON.stringify(leaf.path.keys)} is a ${leaf.value.kind}, not an array`);
  return leaf.value.array;
}

/** Runs `fn` expecting it to reject; returns the error message. */
export async function rejection(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a rejection, but the call succeeded");
}

/** Arrays the libzstd engine cuts into 4 MiB chunks: 10.2 MiB of float32 (chunks of 1024 rows, the last of 552) and 8 MiB of int32 (two whole chunks). */
export function chunkedLeaves(): LeafEntry[] {
  return [
    { path: { keys: ["ragged"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(Float32Array.from({ length: 2600 * 1024 }, (_, i) => Math.sin(i * 0.001)), "float32", [2600, 1024]) } },
    { path: { keys: ["exact"], keyTypes: [2] }, value: { kind: "array", array: encodeFromTypedArray(Int32Array.from({ length: 2048 * 1024 }, (_, i) => (i * 2654435761) | 0), "int32", [2048, 1024]) } },
  ];
}
