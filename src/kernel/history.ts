/**
 * Input history kept across kernel restarts, as IPython keeps it: every stored
 * cell is a line of a numbered session, appended to a JSON-lines file
 * (default `<Jupyter data dir>/tsnnx/history.jsonl`). Each kernel start opens
 * a new session numbered one past the highest in the file: it appends a claim
 * line first and counts claims in file order, so kernels started at the same
 * moment (several notebooks opened at once) still get distinct sessions.
 */
import { randomUUID } from "node:crypto";
import { appendFile, mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export interface HistoryEntry {
  session: number;
  line: number;
  source: string;
  /** text/plain of the cell's execute_result, if any. */
  output: string | null;
}

/** The content of a history_request, checked. */
export type HistoryQuery =
  | { kind: "tail"; n: number; output: boolean }
  | { kind: "range"; session: number; start: number; stop: number | null; output: boolean }
  | { kind: "search"; pattern: string; n: number | null; unique: boolean; output: boolean };

/** One history_reply row: [session, line, input] or [session, line, [input, output]]. */
export type HistoryRow = [number, number, string] | [number, number, [string, string | null]];

export class HistoryStore {
  readonly #path: string;
  readonly #entries: HistoryEntry[];
  readonly session: number;
  #writes: Promise<void> = Promise.resolve();
  /** Opened (append mode) at the first stored cell and kept: one write per cell, not four system calls. */
  #file: Promise<FileHandle> | undefined;

  private constructor(path: string, entries: HistoryEntry[], session: number) {
    this.#path = path;
    this.#entries = entries;
    this.session = session;
  }

  /**
   * Claims a session and reads the file (a missing file is an empty history;
   * unreadable lines are skipped, never rewritten). Where the claim cannot be
   * written the history still works for this session, in memory.
   */
  static async open(path: string): Promise<HistoryStore> {
    const claim = randomUUID();
    try {
      await mkdir(dirname(path), { recursive: true });
      // O_APPEND writes this small land whole and in one order for every reader; the leading
      // newline keeps a line torn by a crash from swallowing the claim.
      await appendFile(path, `\n${JSON.stringify({ claim })}\n`, "utf8");
    } catch {
      // Read-only or missing folder: numbered from what can be read, and appends will report the failure.
    }
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read history file ${path}: ${(error as Error).message}`);
    }
    const entries: HistoryEntry[] = [];
    let highest = 0;
    let session: number | undefined;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let record: Partial<HistoryEntry> & { claim?: unknown };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        continue; // a line torn by a crash mid-write: skip it, keep the rest
      }
      if (typeof record.claim === "string") {
        highest += 1;
        if (record.claim === claim) session = highest;
      } else if (Number.isInteger(record.session) && Number.isInteger(record.line) && typeof record.source === "string") {
        entries.push(record as HistoryEntry);
        highest = Math.max(highest, record.session!);
      }
    }
    return new HistoryStore(path, entries, session ?? highest + 1);
  }

  /** Records a stored cell of this session; the write to disk is queued, failures are reported by `flush`. */
  append(line: number, source: string, output: string | null): void {
    const entry: HistoryEntry = { session: this.session, line, source, output };
    this.#entries.push(entry);
    this.#writes = this.#writes.then(async () => {
      this.#file ??= mkdir(dirname(this.#path), { recursive: true }).then(() => open(this.#path, "a"));
      await (await this.#file).appendFile(JSON.stringify(entry) + "\n", "utf8");
    });
  }

  /** Waits for queued writes and closes the file; rejects with the first write error. */
  async close(): Promise<void> {
    try {
      await this.#writes;
    } finally {
      await (await this.#file?.catch(() => undefined))?.close();
      this.#file = undefined;
    }
  }

  query(query: HistoryQuery): HistoryRow[] {
    const row = (entry: HistoryEntry): HistoryRow =>
      query.output ? [entry.session, entry.line, [entry.source, entry.output]] : [entry.session, entry.line, entry.source];
    switch (query.kind) {
      case "tail":
        return query.n <= 0 ? [] : this.#entries.slice(-query.n).map(row);
      case "range": {
        // IPython's convention: 0 is this session, negative counts back from it.
        const session = query.session <= 0 ? this.session + query.session : query.session;
        return this.#entries
          .filter((entry) => entry.session === session && entry.line >= query.start && (query.stop === null || entry.line < query.stop))
          .map(row);
      }
      case "search": {
        const matcher = globToRegExp(query.pattern);
        let found = this.#entries.filter((entry) => matcher.test(entry.source));
        if (query.unique) {
          const seen = new Set<string>();
          // Keep the latest occurrence of each source, in history order.
          found = found.reverse().filter((entry) => !seen.has(entry.source) && seen.add(entry.source) !== undefined).reverse();
        }
        return (query.n === null ? found : query.n <= 0 ? [] : found.slice(-query.n)).map(row);
      }
    }
  }
}

/** SQLite GLOB, as IPython's search uses: `*` any run, `?` one character, `[...]` a class; case-sensitive, whole string. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) source += "\\[";
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith("^")) body = "^" + body.slice(1).replace(/[\\\]]/g, "\\$&");
        else body = body.replace(/[\\\]^]/g, "\\$&");
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Checks a history_request's content; throws a message naming the bad field. */
export function parseHistoryQuery(content: Record<string, unknown>): HistoryQuery {
  const output = content.output === true;
  const int = (name: string, fallback?: number | null): number | null => {
    const value = content[name];
    if (value === undefined || value === null) {
      if (fallback === undefined) throw new Error(`history_request: ${name} is required for hist_access_type "${String(content.hist_access_type)}"`);
      return fallback;
    }
    if (!Number.isInteger(value)) throw new Error(`history_request: ${name} must be an integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  switch (content.hist_access_type) {
    case "tail":
      return { kind: "tail", n: int("n", 10)!, output };
    case "range":
      return { kind: "range", session: int("session", 0)!, start: int("start", 1)!, stop: int("stop", null), output };
    case "search": {
      const pattern = content.pattern ?? "*";
      if (typeof pattern !== "string") throw new Error(`history_request: pattern must be a string glob, got ${JSON.stringify(pattern)}`);
      return { kind: "search", pattern, n: int("n", null), unique: content.unique === true, output };
    }
    default:
      throw new Error(`history_request: hist_access_type must be "tail", "range" or "search", got ${JSON.stringify(content.hist_access_type)}`);
  }
}
