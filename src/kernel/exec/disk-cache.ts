/**
 * What the language service (completion, inspection) reads from disk
 * (library declarations, packages' package.json and .d.ts files, the
 * notebook's own modules), remembered between requests. It builds a new
 * program for every edit and asks again for every file and every
 * module-resolution probe: reading lib.dom.d.ts and @types/node again was
 * most of a type-checked cell's time when it checked cells too.
 *
 * Files on disk were already treated as unchanging (their script version is
 * constant, so the checker never re-parses them); this also remembers what
 * did not exist. `clear()` forgets everything: the checker calls it before
 * re-checking a cell that has errors, so a package installed since, or an
 * edited module, is seen before an error is reported.
 */
import type ts from "typescript";

export class DiskCache {
  private readonly exists = new Map<string, boolean>();
  private readonly dirs = new Map<string, boolean>();
  private readonly texts = new Map<string, string | undefined>();
  private readonly snapshots = new Map<string, ts.IScriptSnapshot | undefined>();
  private readonly realpaths = new Map<string, string>();

  constructor(private readonly ts: typeof import("typescript")) {}

  fileExists(file: string): boolean {
    return remember(this.exists, file, () => this.ts.sys.fileExists(file));
  }

  directoryExists(dir: string): boolean {
    return remember(this.dirs, dir, () => this.ts.sys.directoryExists(dir));
  }

  readFile(file: string): string | undefined {
    return remember(this.texts, file, () => this.ts.sys.readFile(file));
  }

  realpath(file: string): string {
    return remember(this.realpaths, file, () => this.ts.sys.realpath?.(file) ?? file);
  }

  snapshot(file: string): ts.IScriptSnapshot | undefined {
    return remember(this.snapshots, file, () => {
      const text = this.readFile(file);
      return text === undefined ? undefined : this.ts.ScriptSnapshot.fromString(text);
    });
  }

  clear(): void {
    for (const map of [this.exists, this.dirs, this.texts, this.snapshots, this.realpaths]) map.clear();
  }
}

function remember<V>(map: Map<string, V>, key: string, compute: () => V): V {
  if (map.has(key)) return map.get(key) as V;
  const value = compute();
  map.set(key, value);
  return value;
}
