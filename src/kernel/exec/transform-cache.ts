/**
 * Transformed cells by text, so a cell run again (an edit-run loop, a
 * re-run training cell) skips TypeScript's transpiler (about 1.6 ms of a
 * 2 ms `%typecheck off` cell). The transform depends on the cell's text and
 * on which of the identifiers in it are notebook names (those reads get their
 * own array reference), so that pair is the key.
 */
import { transformCell, type TransformedCell } from "./transform.js";

/** Enough for the cells a session goes back to; a transformed cell is a few KiB. */
const CAPACITY = 128;

export class TransformCache {
  private readonly entries = new Map<string, TransformedCell>();

  constructor(private readonly ts: typeof import("typescript")) {}

  /** `identifiers`: every identifier in `code` (`identifiersIn`, which the caller has for the type check too). */
  transform(code: string, fileName: string, notebookNames: ReadonlySet<string>, identifiers: ReadonlySet<string>): TransformedCell {
    const used = [...identifiers].filter((name) => notebookNames.has(name)).sort();
    const key = `${used.join(" ")}\n${code}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last: the first entry is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const transformed = transformCell(this.ts, code, fileName, notebookNames);
    this.entries.set(key, transformed);
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    return transformed;
  }
}
