/**
 * The type checker's view of a notebook: one in-memory TypeScript module per
 * cell. New cells are checked by tsgo in a child process (type-server.ts);
 * members after a dot are completed there, names in scope at a cell's top
 * level are found there (scope-completion.ts) and the common shapes of
 * inspection described from its symbols (inspection.ts). The rest comes from
 * a TypeScript 6 LanguageService, as tsgo's API refuses completions that
 * might need auto-imports and has no quick info. Both read the same files
 * and reuse what did not change: earlier cells' files never do.
 *
 * Each cell's file is the cell's text, unchanged so that positions match,
 * followed by two lines: an import of every notebook name the cell uses but
 * does not declare itself, from the cell that declared it last, and an export
 * of everything the cell declares. So a cell sees earlier declarations, and a
 * re-declaration simply shadows the earlier one. The tsnnx namespaces and
 * `display` come from a prelude module that puts them in `declare global`.
 *
 * Both checkers keep the last program's structure for a new cell only while
 * the program's root files and every file's module specifiers stay the same:
 * a new root, file or import makes them resolve and walk every file again
 * (in tsgo, 50-70 ms after 300 cells instead of 2). So files come in batches
 * of SLOTS pre-allocated cell files, all roots from the batch's start with
 * placeholder text, and a batch scope module that re-exports every notebook
 * name declared before the batch from its cell. Slot k of a batch imports
 * from the scope and from the slots before it, always all of them in the same
 * order (empty `import {}` where it needs no name), so writing a cell into
 * its slot changes text only. Completion and inspection use one more root,
 * the input slot, importing from all of them. The structure is rebuilt once a
 * batch, when a new one begins.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type ts from "typescript";
import { topLevelNames, type DeclarationKind, type TopLevelName } from "./declarations.js";
import { DiskCache } from "./disk-cache.js";
import { SymbolFlags, type CompletionEntry as TsgoCompletionEntry, type Project, type Symbol as TsgoSymbol } from "typescript-native/unstable/sync";
import { DESCRIBED_COMPLETIONS, describesItself, jupyterKind, rankCompletions, symbolKind, typeSignatures, type Completion } from "./completion.js";
import { scopeCompletionsFromTsgo, scopeSite, type GlobalCompletion } from "./scope-completion.js";
import { inspectionSite, quickInfoFromTsgo, type QuickInfo } from "./inspection.js";
import { TypeServer, type CheckError } from "./type-server.js";

/** "Cannot assign to 'x' because it is an import.": fine for a notebook's `let` and `var`. */
const ASSIGN_TO_IMPORT = 2632;
/** "Could not find a declaration file for module": a notebook uses untyped packages as `any`. */
const UNTYPED_MODULE = 7016;

/** Shared by every notebook in the process: parsed library files are reused (a restart is fast). */
let documentRegistry: ts.DocumentRegistry | undefined;
/** Keeps the virtual file names of notebooks in one process apart (the registry caches by name). */
let notebookCounter = 0;

export interface PreludeSources {
  /** Module that exports the tsnnx namespaces (resolvable by TypeScript). */
  tsnnxModule: string;
  /** Runtime export names of that module, bound in every cell. */
  tsnnxNames: string[];
  /** Module that exports the `Display` type. */
  displayModule: string;
  /** Module that exports `CommManager`, when cells get `comms`. */
  commsModule: string | null;
}

interface Owner {
  file: string;
  kind: DeclarationKind;
}

export class NotebookTypes {
  private readonly files = new Map<string, { text: string; version: number }>();
  /** Committed cells with a global effect (GLOBAL_EFFECT): roots of every program. */
  private readonly globalCells: string[] = [];
  private readonly owners = new Map<string, Owner>();
  private batch!: Batch;
  private readonly service: ts.LanguageService;
  /** Checks staged cells, completes members and inspects what inspection.ts describes (the rest goes to `service`). */
  private readonly server: TypeServer;
  /** The tsconfig that names the program's roots for `server`: a virtual file too, rewritten when a batch starts (the roots change only then). */
  private readonly configFile: string;
  private readonly configOptions: Record<string, unknown>;
  private readonly options: ts.CompilerOptions;
  private readonly preludeFile: string;
  private batchCounter = 0;
  private cellCounter = 0;
  private readonly notebookId = ++notebookCounter;
  /** Every file of this notebook's own is named with it, so none can be on disk or another notebook's. */
  private readonly virtualPrefix: string;
  /** The cell checked last, until it is committed (or replaced by the next check). */
  private pending: { file: string; cell: CellFile } | null = null;
  /** Whether the language service has built a program (see prepareNextCell). */
  private serviceWarm = false;
  /** The file completion and inspection requests look at. */
  private readonly inputFile: string;
  private readonly disk: DiskCache;
  /**
   * Staged file texts that checked clean, per environment epoch. A cell's file
   * text names the committed files it imports from (which never change), so
   * the same text checks the same way unless something global changed: a
   * cell with `declare global`, a module augmentation or a `/// <reference>`
   * (all committed cells are in every program), or a fresh look at the disk.
   */
  private readonly cleanChecks = new Set<string>();
  private epoch = 0;
  /** Counts changes to what the checkers read (a file's text, the notebook's names, a look at the disk): an answer from before one is stale. */
  private generation = 0;
  /** The last completion or inspection, kept while nothing it read changes: JupyterLab's inspector panel asks again at every cursor move. */
  private lastAnswer: { request: string; generation: number; answer: unknown } | null = null;
  /** What globalCompletions found, and in which epoch. */
  private globals: { epoch: number; entries: readonly GlobalCompletion[] } | null = null;
  private readonly resolutions: ts.ModuleResolutionCache;
  private readonly typeResolutions: ts.TypeReferenceDirectiveResolutionCache;

  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly cwd: string,
    kernelRoot: string,
    prelude: PreludeSources,
  ) {
    const options = notebookOptions(kernelRoot);
    this.options = ts.convertCompilerOptionsFromJson(options, cwd).options;
    this.disk = new DiskCache(ts);
    this.resolutions = ts.createModuleResolutionCache(cwd, (f) => f, this.options);
    // Shares the parsed package.json files with module resolution (parsing them again per cell was costly).
    this.typeResolutions = ts.createTypeReferenceDirectiveResolutionCache(cwd, (f) => f, this.options, this.resolutions.getPackageJsonInfoCache());
    this.virtualPrefix = path.join(cwd, `__tsnnx_${this.notebookId}_`);
    this.preludeFile = this.virtualPath("prelude");
    this.configFile = `${this.virtualPrefix}tsconfig.json`;
    this.configOptions = { ...options, paths: kernelFallbackPaths(cwd, kernelRoot) };
    this.server = new TypeServer(this.configFile, { text: (f) => this.files.get(f)?.text, isVirtual: (f) => f.startsWith(this.virtualPrefix) }, cwd);
    this.inputFile = this.virtualPath("input");
    this.setFile(this.preludeFile, preludeText(prelude));
    this.newBatch();
    documentRegistry ??= ts.createDocumentRegistry();
    this.service = ts.createLanguageService(this.host(kernelRoot), documentRegistry);
  }

  /**
   * Adds `code` as the next cell, not yet visible to later cells (see
   * `commit`); returns its file name. A staged cell that is never committed
   * is dropped by the next `stage`. `identifiers`: every identifier in
   * `code` (`identifiersIn`).
   */
  stage(code: string, identifiers: ReadonlySet<string>): string {
    if (this.batch.cells.length === SLOTS) this.newBatch();
    const slot = this.batch.cells.length;
    const file = this.batch.slots[slot]!;
    const cell = this.cellFile(code, slot, identifiers, topLevelNames(this.ts, parseCell(this.ts, code)));
    this.setFile(file, fileText(cell));
    this.pending = { file, cell };
    return file;
  }

  /**
   * Starts the next batch if this one is full, and builds its programs (tens
   * of milliseconds in a long notebook), so that the next cell only checks
   * and the next completion only completes. The language service's first
   * program (about a second: it parses every library file) is built at the
   * first chance too, so that the first Tab does not wait for it.
   */
  prepareNextCell(): void {
    if (this.batch.cells.length === SLOTS) {
      this.newBatch();
      this.server.prepare();
    } else if (this.serviceWarm) {
      return;
    }
    this.service.getProgram();
    this.serviceWarm = true;
  }

  /** Type errors of the staged cell, formatted `cell[3]:2:5 - error TS2322: ...`. */
  errors(fileName: string, code: string, label: string): string[] {
    if (this.pending?.file !== fileName) throw new Error(`internal: ${fileName} is not the staged cell`);
    const key = `${this.epoch}\n${cleanCheckKey(this.pending.cell)}`;
    if (this.cleanChecks.has(key)) return [];
    const errors = this.formattedErrors(fileName, code, label);
    if (errors.length === 0) {
      this.cleanChecks.add(key);
      return errors;
    }
    // Maybe only stale: look at the disk afresh (a new program) before blaming the cell.
    this.newEpoch();
    this.disk.clear();
    this.resolutions.clear();
    this.server.forgetDisk();
    return this.formattedErrors(fileName, code, label);
  }

  private formattedErrors(fileName: string, code: string, label: string): string[] {
    return this.server.errors(fileName)
      .filter((d) => d.start === undefined || d.start <= code.length)
      .flatMap((d) => this.formatDiagnostic(d, code, label));
  }

  private newEpoch(): void {
    this.generation++;
    this.epoch++;
    this.cleanChecks.clear();
  }

  private roots(): string[] {
    return [this.preludeFile, ...this.globalCells.filter((file) => !this.batch.slots.includes(file)), this.batch.scope, ...this.batch.slots, this.inputFile];
  }

  /** Makes the declarations of the staged cell `fileName` visible to later cells. */
  commit(fileName: string): void {
    if (this.pending?.file !== fileName) throw new Error(`internal: ${fileName} is not the staged cell`);
    const { cell } = this.pending;
    this.pending = null;
    this.generation++;
    const globalEffect = GLOBAL_EFFECT.test(cell.code);
    if (cell.declared.length === 0 && !globalEffect) {
      // Nothing can ever refer to it: its slot takes the next cell (re-running `x + 1` uses no slots).
      this.setFile(fileName, this.placeholder(this.batch.cells.length));
      return;
    }
    this.batch.cells.push(cell);
    for (const { name, kind } of cell.declared) this.owners.set(name, { file: fileName, kind });
    if (globalEffect) {
      this.globalCells.push(fileName);
      this.newEpoch();
    }
  }

  /** Stops the checker's child process. */
  dispose(): void {
    this.server.close();
  }

  /**
   * Completions at `cursor` in `code` (a cell after everything committed)
   * whose names start with `prefix`, the word before the cursor: best first,
   * the first DESCRIBED_COMPLETIONS worth it with their types. The members
   * after a dot come from tsgo, which already holds the notebook's program as
   * the last check left it (a new input text is a new program in
   * TypeScript 6: after a long notebook, milliseconds more), and so do names
   * in scope where scope-completion.ts finds them; the language service
   * completes the rest.
   */
  completions(code: string, cursor: number, prefix: string): readonly Completion[] {
    return this.remembered(["complete", code, cursor, prefix], () => {
      const fromLanguageService = () => this.scopeCompletions(cursor, prefix);
      if (isMemberAccess(code, cursor - prefix.length)) {
        return this.withInput(code, cursor, () => this.tsgoOr((project) => this.memberCompletions(project, cursor, prefix), fromLanguageService));
      }
      if (GLOBAL_EFFECT.test(code)) return this.withInput(code, cursor, fromLanguageService);
      const globals = this.globalCompletions();
      return this.withInput(code, cursor, (parsed, names) => {
        const site = scopeSite(this.ts, parsed, cursor, prefix, names);
        return site ? this.tsgoOr((project) => scopeCompletionsFromTsgo(project, this.inputFile, site, globals, prefix), fromLanguageService) : fromLanguageService();
      });
    });
  }

  /**
   * The globals and keywords a name completes to at a cell's top level, as
   * TypeScript 6 offers them (kept until something global changes): asked
   * with an input that declares and imports nothing, so that no notebook
   * name hides a global of the same name.
   */
  private globalCompletions(): readonly GlobalCompletion[] {
    if (this.globals?.epoch !== this.epoch) {
      this.setFile(this.inputFile, this.placeholder(SLOTS));
      const entries = this.service.getCompletionsAtPosition(this.inputFile, 0, SCOPE_COMPLETION_OPTIONS)?.entries ?? [];
      const globals = entries.filter((entry) => !describesItself(entry)).map((entry) => ({ text: entry.name, type: jupyterKind(entry.kind, this.ts.SymbolFlags.None), signature: "", sortText: entry.sortText }));
      this.globals = { epoch: this.epoch, entries: globals };
    }
    return this.globals.entries;
  }

  /** Member completions from tsgo; the described ones' types in few round trips (one for all value types). */
  private memberCompletions({ checker }: Project, cursor: number, prefix: string): Completion[] {
    const entries = checker.getCompletionsAtPosition(this.inputFile, cursor, { includeSymbol: true })?.entries ?? [];
    // An entry with its own insertion rewrites the text before the cursor (`a.` into `a[Symbol]`), which a Jupyter match cannot.
    const ranked = rankCompletions(entries.filter((entry) => entry.insertText === undefined), prefix);
    const described = new Map<TsgoCompletionEntry, TsgoSymbol>();
    for (const entry of ranked.slice(0, DESCRIBED_COMPLETIONS)) {
      if (entry.symbol && describesItself(entry)) described.set(entry, entry.symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(entry.symbol) : entry.symbol);
    }
    const signatures = typeSignatures(checker, [...described.values()]);
    return ranked.map((entry) => {
      const symbol = described.get(entry);
      if (symbol) return { text: entry.name, type: symbolKind(symbol.flags), signature: signatures.get(symbol)! };
      return { text: entry.name, type: entry.symbol ? symbolKind(entry.symbol.flags) : "text", signature: "" };
    });
  }

  /** `ask` answered by tsgo, or `otherwise` (the language service) where it has no answer (null) or failed (its child is then replaced). */
  private tsgoOr<T>(ask: (project: Project) => T | null, otherwise: () => T): T {
    try {
      const answer = this.server.query(ask);
      if (answer !== null) return answer;
    } catch {
      // The language service can answer whatever tsgo is asked.
    }
    return otherwise();
  }

  /**
   * Completions from the language service, their types looked up in its
   * checker once for all: the service's entry details (and entry symbols)
   * compute the completion again per entry and qualify names through the
   * globals, which costs a fresh checker (one per edit) milliseconds per
   * entry.
   */
  private scopeCompletions(cursor: number, prefix: string): Completion[] {
    const ts = this.ts;
    const info = this.service.getCompletionsAtPosition(this.inputFile, cursor, SCOPE_COMPLETION_OPTIONS);
    const ranked = rankCompletions(info?.entries ?? [], prefix);
    const described = new Set(ranked.slice(0, DESCRIBED_COMPLETIONS).filter(describesItself));
    const program = this.service.getProgram()!;
    const checker = program.getTypeChecker();
    const lookUp = described.size === 0 ? () => undefined : this.namesAt(program.getSourceFile(this.inputFile)!, cursor, checker);
    return ranked.map((entry) => {
      let symbol = described.has(entry) ? lookUp(entry.name) : undefined;
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      if (!symbol) return { text: entry.name, type: jupyterKind(entry.kind, ts.SymbolFlags.None), signature: "" };
      const type = symbol.flags & ts.SymbolFlags.Value ? checker.getTypeOfSymbol(symbol) : checker.getDeclaredTypeOfSymbol(symbol);
      return { text: entry.name, type: jupyterKind(entry.kind, symbol.flags), signature: checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation) };
    });
  }

  /** Names as completion at `cursor` sees them: members of the value before a dot, or what is in scope. */
  private namesAt(file: ts.SourceFile, cursor: number, checker: ts.TypeChecker): (name: string) => ts.Symbol | undefined {
    const ts = this.ts;
    let node: ts.Node = file;
    const at = Math.max(0, cursor - 1);
    for (let inner: ts.Node | undefined = file; inner; ) {
      node = inner;
      inner = ts.forEachChild(node, (child) => (child.getStart(file) <= at && at < child.end ? child : undefined));
    }
    const access = ts.isPropertyAccessExpression(node) ? node : node.parent && ts.isPropertyAccessExpression(node.parent) && node.parent.name === node ? node.parent : undefined;
    if (access) {
      const type = checker.getApparentType(checker.getTypeAtLocation(access.expression));
      return (name) => checker.getPropertyOfType(type, name);
    }
    const meaning = ts.SymbolFlags.Value | ts.SymbolFlags.Type | ts.SymbolFlags.Namespace | ts.SymbolFlags.Alias;
    const inScope = new Map<string, ts.Symbol>();
    for (const symbol of checker.getSymbolsInScope(node, meaning)) if (!inScope.has(symbol.name)) inScope.set(symbol.name, symbol);
    return (name) => inScope.get(name);
  }

  /**
   * What the symbol at `cursor` in `code` is, as TypeScript's quick info
   * shows it: from tsgo where inspection.ts builds that shape (its program
   * is the last check's, as for member completions), else from the
   * language service.
   */
  quickInfo(code: string, cursor: number): QuickInfo | null {
    return this.remembered(["inspect", code, cursor], () =>
      this.withInput(code, cursor, (parsed) => {
        const site = inspectionSite(this.ts, parsed, cursor);
        if (!site) return this.serviceQuickInfo(cursor);
        return this.tsgoOr(
          (project) => {
            const info = quickInfoFromTsgo(project, this.inputFile, site, (name) => this.owners.get(name)?.kind);
            return info && { ...info, signature: withoutBundledNamespace(info.signature) };
          },
          () => this.serviceQuickInfo(cursor),
        );
      }),
    );
  }

  /** `answer()`, or the same request's last answer if nothing it read has changed since. */
  private remembered<T>(request: readonly unknown[], answer: () => T): T {
    const key = JSON.stringify(request);
    if (this.lastAnswer?.request === key && this.lastAnswer.generation === this.generation) return this.lastAnswer.answer as T;
    const value = answer();
    this.lastAnswer = { request: key, generation: this.generation, answer: value };
    return value;
  }

  private serviceQuickInfo(cursor: number): QuickInfo | null {
    const info = withoutModuleSearch(
      this.ts,
      this.service.getProgram()!,
      () => this.service.getQuickInfoAtPosition(this.inputFile, cursor) ?? (cursor > 0 ? this.service.getQuickInfoAtPosition(this.inputFile, cursor - 1) : undefined),
    );
    if (!info) return null;
    const text = (parts: ts.SymbolDisplayPart[] | undefined) => (parts ?? []).map((p) => p.text).join("");
    const tags = (info.tags ?? []).map((tag) => `@${tag.name} ${text(tag.text)}`.trim());
    return {
      signature: withoutImportAlias(text(info.displayParts)),
      documentation: [text(info.documentation), ...tags].filter(Boolean).join("\n\n"),
    };
  }

  /**
   * Serves a request about `code` typed as the next cell. Of the notebook's
   * names the input imports those the code mentions and those the word at
   * `cursor` may become: every import in scope is a place TypeScript looks
   * when it names a type or checks a member's accessibility, and with all of
   * a long notebook's names imported, completing `Math.ma` took milliseconds
   * more. The input keeps its text afterwards, so a repeated request finds
   * the same program, unless the text could change what the next cell sees.
   */
  private withInput<T>(code: string, cursor: number, request: (parsed: ts.SourceFile, names: ReadonlySet<string>) => T): T {
    const word = /[\w$]*$/.exec(code.slice(0, cursor))![0];
    const parsed = parseCell(this.ts, code);
    const used = identifiersIn(this.ts, parsed);
    for (const name of this.owners.keys()) if (name.startsWith(word)) used.add(name);
    this.setFile(this.inputFile, fileText(this.cellFile(code, SLOTS, used, topLevelNames(this.ts, parsed))));
    try {
      return request(parsed, used);
    } finally {
      if (GLOBAL_EFFECT.test(code)) this.setFile(this.inputFile, this.placeholder(SLOTS));
    }
  }

  /**
   * Slot `slot`'s file holding `code` (SLOTS: the input's). It imports from
   * the batch's scope and from every slot before `slot`, in that order,
   * whatever names it needs (the structure stays the same for any `code`);
   * of the earlier names only those it mentions (`used`), so a long notebook
   * does not make every check bind every name. `declared`: the names `code`
   * declares (`topLevelNames`).
   */
  private cellFile(code: string, slot: number, used: ReadonlySet<string>, declared: TopLevelName[]): CellFile {
    const own = new Set(declared.map((n) => n.name));
    const imports = new Map<string, string[]>([this.batch.scope, ...this.batch.slots.slice(0, slot)].map((file) => [file, []]));
    for (const [name, owner] of this.owners) {
      if (own.has(name) || !used.has(name)) continue;
      imports.get(imports.has(owner.file) ? owner.file : this.batch.scope)!.push(name);
    }
    return { code, imports, declared };
  }

  /**
   * Starts a batch: its scope re-exports every notebook name from the cell
   * that declared it last, its slots and the input hold placeholders with
   * their imports already in place. The finished batch's cells are rewritten
   * to import only what they use, straight from the cells that declared it
   * (the structure is rebuilt now anyway): their placeholder imports would
   * cost memory and time for as long as the notebook lives.
   */
  private newBatch(): void {
    const scope = this.virtualPath(`scope_${++this.batchCounter}`);
    if (this.batchCounter > 1) this.closeBatch(this.batch);
    const scopeOwners = new Map([...this.owners].map(([name, owner]) => [name, owner.file]));
    const reexports = [...namesByFile(scopeOwners)].map(([file, names]) => `export { ${names.join(", ")} } from "${specifier(file)}";\n`);
    this.setFile(scope, `${reexports.join("")}export {};\n`);
    const slots = Array.from({ length: SLOTS }, () => this.virtualPath(`cell_${++this.cellCounter}`));
    this.batch = { scope, scopeOwners, slots, cells: [] };
    slots.forEach((file, slot) => this.setFile(file, this.placeholder(slot)));
    this.setFile(this.inputFile, this.placeholder(SLOTS));
    this.setFile(this.configFile, JSON.stringify({ compilerOptions: this.configOptions, files: this.roots() }));
  }

  /** Slot `slot`'s file before a cell is written into it: its imports, no names. */
  private placeholder(slot: number): string {
    return fileText(this.cellFile("", slot, new Set(), []));
  }

  private closeBatch(batch: Batch): void {
    batch.cells.forEach((cell, slot) => {
      const owners = [...cell.imports].flatMap(([file, names]) => names.map((name): [string, string] => [name, file === batch.scope ? batch.scopeOwners.get(name)! : file]));
      this.setFile(batch.slots[slot]!, fileText({ ...cell, imports: namesByFile(owners) }));
    });
    this.files.delete(batch.scope);
    this.server.removed(batch.scope);
  }

  private formatDiagnostic(d: CheckError, code: string, label: string): string[] {
    const { message } = d;
    if (d.code === UNTYPED_MODULE) return [];
    if (d.code === ASSIGN_TO_IMPORT) {
      const name = /'([^']+)'/.exec(message)?.[1] ?? "";
      const owner = this.owners.get(name);
      if (owner && (owner.kind === "let" || owner.kind === "var")) return [];
      return [this.position(d, code, label) + ` - error TS2588: Cannot assign to '${name}' because it is a constant.`];
    }
    return [`${this.position(d, code, label)} - error TS${d.code}: ${message}`];
  }

  private position(d: CheckError, code: string, label: string): string {
    if (d.start === undefined) return label;
    const { line, character } = this.ts.getLineAndCharacterOfPosition(
      this.ts.createSourceFile("pos.ts", code, this.ts.ScriptTarget.ES2022),
      Math.min(d.start, code.length),
    );
    return `${label}:${line + 1}:${character + 1}`;
  }

  private virtualPath(name: string): string {
    return `${this.virtualPrefix}${name}.ts`;
  }

  private setFile(fileName: string, text: string): void {
    const old = this.files.get(fileName);
    if (old?.text === text) return;
    this.generation++;
    this.files.set(fileName, { text, version: (old?.version ?? 0) + 1 });
    this.server.written(fileName, old === undefined);
  }

  /** `getModuleResolutionCache` is read by the language service's program host though LanguageServiceHost's typing omits it. */
  private host(kernelRoot: string): ts.LanguageServiceHost & Pick<ts.CompilerHost, "getModuleResolutionCache"> {
    const ts = this.ts;
    const fallbackImporter = path.join(kernelRoot, "__tsnnx_resolve.ts");
    const moduleHost: ts.ModuleResolutionHost = {
      fileExists: (f) => this.files.has(f) || this.disk.fileExists(f),
      readFile: (f) => this.files.get(f)?.text ?? this.disk.readFile(f),
      directoryExists: (d) => this.disk.directoryExists(d),
      realpath: (f) => this.disk.realpath(f),
      getCurrentDirectory: () => this.cwd,
      getDirectories: ts.sys.getDirectories,
    };
    return {
      ...moduleHost,
      getCurrentDirectory: () => this.cwd,
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => this.roots(),
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const text = this.files.get(f)?.text;
        return text === undefined ? this.disk.snapshot(f) : ts.ScriptSnapshot.fromString(text);
      },
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      // Every new program asks each of its files for its module format, which reads package.json files up the
      // tree: with no cache of ours, each program parsed them anew (a fifth of a new cell's check in a profile).
      getModuleResolutionCache: () => this.resolutions,
      // A notebook's own node_modules first, then the kernel's dependencies.
      resolveModuleNameLiterals: (literals, containingFile, _redirect, options) =>
        literals.map((literal) => {
          const own = ts.resolveModuleName(literal.text, containingFile, options, moduleHost, this.resolutions);
          if (own.resolvedModule || !this.files.has(containingFile)) return own;
          return ts.resolveModuleName(literal.text, fallbackImporter, options, moduleHost, this.resolutions);
        }),
      resolveTypeReferenceDirectiveReferences: (references, containingFile, redirect, options) =>
        references.map((reference) => {
          // As TypeScript names them: `/// <reference types>` names are lower-cased, `types` entries are not.
          const name = typeof reference === "string" ? reference : reference.fileName.toLowerCase();
          const mode = typeof reference === "string" ? undefined : reference.resolutionMode;
          return ts.resolveTypeReferenceDirective(name, containingFile, options, moduleHost, redirect, this.typeResolutions, mode);
        }),
    };
  }
}

/** Cell files per batch (see the header): a batch's last slot imports from the SLOTS - 1 before it. */
const SLOTS = 32;

interface Batch {
  /** Re-exports the names declared before the batch, from `scopeOwners`. */
  scope: string;
  scopeOwners: Map<string, string>;
  slots: string[];
  /** The committed cells, in `slots` from the first; the next cell goes into the slot after them. */
  cells: CellFile[];
}

/** A cell's file: its code, the notebook names it imports from each file, the names it declares. */
interface CellFile {
  code: string;
  imports: Map<string, string[]>;
  declared: TopLevelName[];
}

function fileText({ code, imports, declared }: CellFile): string {
  const lines = [...imports].map(([file, names]) => `import { ${names.join(", ")} } from "${specifier(file)}";`);
  const toExport = declared.filter((n) => !n.exported).map((n) => n.name);
  return `${code}${SUFFIX_MARK}${lines.join(" ")}\nexport { ${toExport.join(", ")} };\n`;
}

/** How a notebook file names another (they all lie in one folder). */
function specifier(file: string): string {
  return `./${path.basename(file, ".ts")}`;
}

/** The names of `owners` (name, file) grouped by file. */
function namesByFile(owners: Iterable<[name: string, file: string]>): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const [name, file] of owners) {
    const names = byFile.get(file);
    if (names) names.push(name);
    else byFile.set(file, [name]);
  }
  return byFile;
}

/** What decides a cell's check: its code and the names it imports from where (not the empty imports). */
function cleanCheckKey({ code, imports }: CellFile): string {
  return [code, ...[...imports].filter(([, names]) => names.length > 0).map(([file, names]) => `${file}: ${names.join(", ")}`)].join("\n");
}

/**
 * Separates a cell's own text from the lines the checker appends (after a
 * newline, so positions stay). The `;` ends whatever the cell left open, so
 * `tiny.` at the end is not read as `tiny.import`.
 */
const SUFFIX_MARK = "\n;/*tsnnx*/";

/** The language service's completion options: no insertions a Jupyter match cannot make, no auto-imports. */
const SCOPE_COMPLETION_OPTIONS: ts.GetCompletionsAtPositionOptions = { includeCompletionsWithInsertText: false, includeCompletionsForModuleExports: false };

/** Cell text that can change what other cells see besides its own exports (a superset: comments match too). */
const GLOBAL_EFFECT = /\bdeclare\s+(global|module)\b|\/\/\/\s*<reference/;

/** Whether the word starting at `wordStart` follows a member access's dot (`a.`, `a?.`; not a spread's `...`). */
function isMemberAccess(code: string, wordStart: number): boolean {
  return code[wordStart - 1] === "." && code[wordStart - 2] !== ".";
}

/** A cell's syntax, with parent links (inspection reads a name's context). */
export function parseCell(tsApi: typeof ts, code: string): ts.SourceFile {
  return tsApi.createSourceFile("cell.ts", code, tsApi.ScriptTarget.ES2022, true, tsApi.ScriptKind.TS);
}

/** Every identifier in a parsed cell (a superset of the earlier names it refers to). */
export function identifiersIn(tsApi: typeof ts, cell: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (tsApi.isIdentifier(node)) names.add(node.text);
    tsApi.forEachChild(node, visit);
  };
  visit(cell);
  return names;
}

/**
 * Runs `request` (quick info) with the checker shown only the program's
 * global files when it lists them. To name a member (`Math.max`), the checker
 * looks through every module's exports for one that re-exports it
 * (`getAlternativeContainingModules`), resolving each re-export once per
 * checker: with a long notebook's cells and scope and tsnnx's declarations
 * that was most of the first inspection after a cell (measured in the
 * kernel: 8 of 11 ms after 300 cells). Quick info never qualifies a name by
 * a module, so what it finds there is never shown. The checker reads the
 * list from the program each time, so this only speeds it up or, in a
 * TypeScript that no longer does, changes nothing.
 */
function withoutModuleSearch<T>(tsApi: typeof ts, program: ts.Program, request: () => T): T {
  const allFiles = program.getSourceFiles;
  const globalFiles = allFiles.call(program).filter((file) => !tsApi.isExternalModule(file));
  program.getSourceFiles = () => globalFiles;
  try {
    return request();
  } finally {
    program.getSourceFiles = allFiles;
  }
}

/**
 * Names from earlier cells reach a cell through an import the user never
 * wrote: show `const x: number`, not `(alias) const x: number\nimport x`.
 * The prelude's `export import np = tsnnx.np` adds an `export ...` line the
 * same way, and jax-js's bundled declarations name their namespaces
 * `numpy_d_exports` (the user writes `np.ones`, so show `ones(...)`).
 */
function withoutImportAlias(signature: string): string {
  const [first = "", ...rest] = (signature.startsWith("(alias) ") ? signature.slice("(alias) ".length) : signature).split("\n");
  return withoutBundledNamespace([first, ...rest.filter((line) => !/^(import|export) /.test(line))].join("\n"));
}

function withoutBundledNamespace(signature: string): string {
  return signature.replace(BUNDLED_NAMESPACE, "");
}

const BUNDLED_NAMESPACE = /\b[A-Za-z]\w*_d_exports\./g;

/** The compiler options of a notebook, in a tsconfig's terms (tsgo reads them so; the language service gets them converted). */
function notebookOptions(kernelRoot: string): Record<string, unknown> {
  return {
    target: "es2022",
    module: "esnext",
    moduleResolution: "bundler",
    lib: ["es2023", "dom"],
    types: ["node"],
    typeRoots: [path.join(kernelRoot, "node_modules", "@types")],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    useDefineForClassFields: true,
  };
}

/**
 * tsgo takes no module resolution from us, so `paths` gives it the fallback
 * `host` gives the language service: a package from the notebook's folder,
 * else from the kernel's dependencies, or the kernel's package itself (a
 * notebook may `import { ... } from "tsnnx"`; the kernel's own resolution
 * finds it as a self-reference from its root).
 */
function kernelFallbackPaths(cwd: string, kernelRoot: string): Record<string, string[]> {
  const { name } = JSON.parse(readFileSync(path.join(kernelRoot, "package.json"), "utf8")) as { name: string };
  return {
    [name]: [path.join(cwd, "node_modules", name), kernelRoot],
    "*": [path.join(cwd, "node_modules", "*"), path.join(kernelRoot, "node_modules", "*")],
  };
}

function preludeText(prelude: PreludeSources): string {
  const names = prelude.tsnnxNames.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default");
  return [
    `import * as tsnnx from ${JSON.stringify(prelude.tsnnxModule)};`,
    `import type { Display } from ${JSON.stringify(prelude.displayModule)};`,
    `declare global {`,
    ...names.map((n) => `  export import ${n} = tsnnx.${n};`),
    `  /** Shows a value as rich output of the cell (see display.html, display.markdown, ...). */`,
    `  const display: Display;`,
    `  /** Asks the notebook user for a line of text (stdin); \`password\` hides what is typed. */`,
    `  function input(prompt?: string, options?: { password?: boolean }): Promise<string>;`,
    `  /** Asks the notebook user for a line of text and waits for it (synchronous); an empty reply gives \`defaultValue\` if there is one. */`,
    `  function prompt(message?: string, defaultValue?: string): string;`,
    // What the kernel rewrites magic lines into (see src/kernel/magics/parse.ts).
    `  function __tsnnxMagic(name: string, flags: Record<string, unknown>, ...operands: unknown[]): Promise<void>;`,
    `  function __tsnnxMagicValue<T>(name: string, flags: Record<string, unknown>, operand: () => T): Promise<Awaited<T>>;`,
    ...(prelude.commsModule
      ? [
          `  /** The kernel's comms: \`comms.registerTarget(name, handler)\`, \`comms.open(name, data)\`. */`,
          `  const comms: import(${JSON.stringify(prelude.commsModule)}).CommManager;`,
        ]
      : []),
    `}`,
    `export {};`,
    ``,
  ].join("\n");
}
