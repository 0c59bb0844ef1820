/**
 * The type check of a new cell, done by TypeScript 7 (the native compiler,
 * tsgo) in a child process that keeps the notebook's program between cells;
 * other questions to that program (the members to complete after a dot, the
 * names in scope, the symbol to inspect) go through `query`.
 *
 * In the TypeScript 6 language service any new text meant a new program and
 * a new checker in this process: after 300 cells about 10 ms a cell, most of
 * it re-merging the globals of the library files and walking ~560 files of
 * structure (see bench/kernel-typecheck.ts). tsgo keeps the same program
 * structure across snapshots when only a file's text changes and checks in
 * native code: the same check is about 2 ms there, the round trip included.
 * The notebook's files (cells, the batch scope, the prelude and a tsconfig
 * naming them as roots) live in this process and reach tsgo through its
 * virtual file system callbacks; everything else it reads from disk itself.
 *
 * The API is tsgo's synchronous one (blocking pipe reads), as the check is
 * on the execute path anyway. A child that died (a signal to the process
 * group, a crash) is replaced by a fresh one, and the request tried again.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { API, DiagnosticCategory, type Diagnostic, type Project, type Snapshot } from "typescript-native/unstable/sync";

/** A type error as the kernel reports it: TypeScript's code, where it starts in the file, its message with the chain flattened. */
export interface CheckError {
  code: number;
  start: number | undefined;
  message: string;
}

/** A signal (an interrupt) came while the checker was waited on, on every try. */
export class TypeCheckInterrupted extends Error {
  constructor() {
    super("the type check was interrupted");
  }
}

const ATTEMPTS = 2;

/** The files the notebook keeps in memory: every path under the notebook's virtual prefix is one or does not exist. */
export interface VirtualFiles {
  text(file: string): string | undefined;
  isVirtual(file: string): boolean;
}

export class TypeServer {
  private api: API | null = null;
  private snapshot: Snapshot | null = null;
  private readonly changed = new Set<string>();
  private readonly created = new Set<string>();
  private readonly deleted = new Set<string>();
  private diskChanged = false;

  constructor(
    private readonly configFile: string,
    private readonly files: VirtualFiles,
    private readonly cwd: string,
  ) {}

  /** Records a virtual file's new text (`created`: it did not exist before). */
  written(file: string, created: boolean): void {
    (created ? this.created : this.changed).add(file);
  }

  removed(file: string): void {
    this.deleted.add(file);
  }

  /** The next request looks at the disk afresh (a package installed, a module edited). */
  forgetDisk(): void {
    this.diskChanged = true;
  }

  /** Brings a running checker's program up to date with the files (tens of milliseconds after a change of roots). */
  prepare(): void {
    if (this.api) this.query(() => undefined);
  }

  /** Syntax and type errors of `file`. */
  errors(file: string): CheckError[] {
    return this.query(({ program }) =>
      [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
        .filter((d) => d.category === DiagnosticCategory.Error)
        .map((d) => ({ code: d.code, start: d.fileName === undefined ? undefined : d.pos, message: flatten(d, 0) })),
    );
  }

  /** The files of the notebook's program: everything the checker reads. */
  programFiles(): readonly string[] {
    return this.query(({ program }) => program.getSourceFileNames());
  }

  close(): void {
    const api = this.api;
    this.api = null;
    this.snapshot = null;
    try {
      api?.close();
    } catch {
      // Releasing the snapshots failed (a broken pipe, or a signal during the
      // read): stop the child without asking it, or it may outlive the kernel.
      (api as unknown as { client: { close(): void } }).client.close();
    }
  }

  /**
   * Runs `read` on the notebook's project in an up-to-date snapshot (its
   * program and checker). After a failure the child is replaced (its pipe may
   * hold half an answer) and `read` tried once more. A signal to this process
   * while it waits on the pipe fails the read with EINTR: if that was the last
   * try, the check counts as interrupted.
   */
  query<T>(read: (project: Project) => T): T {
    for (let attempt = 1; ; attempt++) {
      try {
        return read(this.update().getProject(this.configFile)!);
      } catch (error) {
        this.close();
        if (attempt < ATTEMPTS) continue;
        if ((error as NodeJS.ErrnoException).code === "EINTR") throw new TypeCheckInterrupted();
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`the type checker (tsgo, in a child process) failed: ${reason} (%typecheck off runs cells unchecked)`, { cause: error });
      }
    }
  }

  private update(): Snapshot {
    if (!this.api) {
      const { tsserverPath, environment } = childLaunch();
      this.api = withChildEnvironment(environment, () => new API({ cwd: this.cwd, fs: this.callbacks(), tsserverPath }));
      this.snapshot = this.api.updateSnapshot({ openProjects: [this.configFile] });
      this.clearChanges();
      return this.snapshot;
    }
    if (!this.diskChanged && this.changed.size + this.created.size + this.deleted.size === 0) return this.snapshot!;
    const fileChanges = this.diskChanged
      ? { invalidateAll: true as const }
      : { changed: [...this.changed], created: [...this.created], deleted: [...this.deleted] };
    this.clearChanges();
    const previous = this.snapshot!;
    this.snapshot = this.api.updateSnapshot({ fileChanges });
    previous.dispose();
    return this.snapshot;
  }

  private clearChanges(): void {
    this.changed.clear();
    this.created.clear();
    this.deleted.clear();
    this.diskChanged = false;
  }

  /** Answers for the virtual files only (`undefined`: tsgo reads the disk itself). */
  private callbacks() {
    return {
      readFile: (file: string) => (this.files.isVirtual(file) ? (this.files.text(file) ?? null) : undefined),
      fileExists: (file: string) => (this.files.isVirtual(file) ? this.files.text(file) !== undefined : undefined),
    };
  }
}

/**
 * How to start tsgo. Go's garbage collector lets the heap grow to twice what
 * is live (GOGC=100) before collecting; each batch's new program leaves
 * garbage behind, and over 300 cells the child settled 70 MiB above its
 * start. At 50 it settles at half that, with no change in a check's time
 * (bench/kernel-typecheck.ts); a GOGC the user set is kept.
 *
 * tsgo can hang instead of exiting when its stdin closes: a kernel killed by
 * a test left one holding the kernel's stderr pipe, and the test runner
 * waited on that pipe for ever. Where util-linux's setpriv is on the PATH,
 * tsgo-child.sh starts it with a parent-death signal, so it dies with the
 * kernel however the kernel dies.
 */
function childLaunch(): { tsserverPath: string | undefined; environment: Record<string, string> } {
  const environment = { GOGC: "50" };
  if (!onPath("setpriv")) return { tsserverPath: undefined, environment };
  return { tsserverPath: fileURLToPath(new URL("./tsgo-child.sh", import.meta.url)), environment: { ...environment, TSNNX_TSGO: tsgoExecutable() } };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && existsSync(path.join(dir, command)));
}

/** tsgo's executable, where typescript-native looks for it: its platform package's lib/tsc. */
function tsgoExecutable(): string {
  const fromNative = createRequire(createRequire(import.meta.url).resolve("typescript-native/package.json"));
  const platformPackage = fromNative.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`);
  return path.join(path.dirname(platformPackage), "lib", "tsc");
}

/** Runs `spawn` (which starts a child with this process's environment) with `variables` added where unset. */
function withChildEnvironment<T>(variables: Record<string, string>, spawn: () => T): T {
  const added = Object.keys(variables).filter((name) => process.env[name] === undefined);
  for (const name of added) process.env[name] = variables[name];
  try {
    return spawn();
  } finally {
    for (const name of added) delete process.env[name];
  }
}

/** As TypeScript's `flattenDiagnosticMessageText(d, "\n")`: each chained message on its own line, indented by depth. */
function flatten(d: Diagnostic, depth: number): string {
  const head = depth === 0 ? d.text : `\n${"  ".repeat(depth)}${d.text}`;
  return head + (d.messageChain ?? []).map((next) => flatten(next, depth + 1)).join("");
}
