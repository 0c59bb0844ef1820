/**
 * `ocp.CheckpointManager`: numbered steps in one directory, laid out as
 * Orbax's CheckpointManager lays them out (`<step>/<item>/`, `<step>/metrics/metrics`,
 * `<step>/_CHECKPOINT_METADATA`), with Orbax's save and keep policies.
 *
 * Steps are discovered synchronously when the manager is built. A step is
 * listed while its save is in flight (as in Orbax) and dropped again if the
 * save fails; old steps are deleted only after the new step has committed.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { readPyTreeMetadata, type LeafMetadata } from "./format/index.js";
import type { CompositeArgs, ItemRestoreArgs, RestoreArgs, Restored, RestoredComposite, SaveArgs, TemplateRestoreArgs } from "./args.js";
import { COMMIT_FILE, findInterruptedReplaceSync, isTmpName, recoverReplacesInSync, REPLACED_SUFFIX, removeTmpDirsSync, TMP_MARKER } from "./atomic.js";
import { BackgroundWork } from "./background.js";
import { mapWithLimit } from "./format/concurrency.js";
import { readCheckpointMetadataSync, readJsonSync, readSaveRecordSync, writeCheckpointMetadata, writeSaveRecord, type SaveRecord } from "./checkpoint-metadata.js";
import { CheckpointError, StepAlreadyExistsError } from "./errors.js";
import { isJsonItem, METRICS_FILE, releaseItem, requireDir, restoreItem, stageItem, writeItem, type StagedItem } from "./items.js";
import { resolveManagerOptions, type CheckpointManagerOptions, type ResolvedManagerOptions } from "./manager-options.js";
import { emptyReport, type RestoreReport } from "./restore-plan.js";
import { decideKeep, decideSave, keepReasons, sortByMetric, type KeepReason, type StepInfo } from "./retention.js";
import { checkStep, parseStepName, stepName } from "./step-names.js";
import { commitCheckpoint, deleteCheckpoint, isCommittedSync, stageCheckpoint } from "./commit.js";
import { joinLocation, locationBasename, resolveLocation, storageFor, type FolderEntry, type Storage } from "./storage/index.js";

const DEFAULT_ITEM = "default";
const METRICS_ITEM = "metrics";

export interface ManagerSaveOptions {
  args: SaveArgs;
  /** Saved as the step's `metrics/metrics` JSON; what bestFn ranks. */
  metrics?: Record<string, unknown>;
  /** Save even if the policy declines, replacing an existing step. */
  force?: boolean;
  customMetadata?: Record<string, unknown>;
}

/** Everything known about one step, for renderers. */
export interface StepSummary extends Partial<SaveRecord> {
  step: number;
  /** Commit time, ms since the epoch. */
  time: number;
  metrics?: Record<string, unknown>;
  best: boolean;
  /** The keep policies that keep this step (maxToKeep's latest/best, keepPeriod, keepTimeInterval, ...). */
  keptBy: KeepReason[];
  /** True while its save is still being written. */
  inFlight: boolean;
}

export type ItemMetadata = { kind: "pytree"; leaves: LeafMetadata[] } | { kind: "json" };

interface StepEntry extends StepInfo {
  inFlight: boolean;
  /** The folder name found on disk (it may be zero-padded differently from what this manager would write). */
  folder?: string;
}

export class CheckpointManager {
  /** An absolute path, or an `s3://bucket/prefix` URL. */
  readonly directory: string;
  /** Where `directory` is: the file system, or the bucket's object storage. */
  readonly storage: Storage;
  private readonly options: ResolvedManagerOptions;
  private readonly background = new BackgroundWork();
  private steps: StepEntry[] = [];
  /** What the last restore converted, reshaped or skipped, path by path. */
  lastRestoreReport: RestoreReport = emptyReport();

  constructor(directory: string, options: CheckpointManagerOptions = {}) {
    this.options = resolveManagerOptions(options);
    this.directory = resolveLocation(directory);
    this.storage = storageFor(this.directory, this.options.s3);
    const cleanup = this.options.cleanupTmpDirectories && !this.options.readOnly;
    if (this.storage.commit === "marker") {
      if (this.options.todeleteSubdir !== undefined) throw new CheckpointError(`CheckpointManager: todeleteSubdir needs a rename, which ${this.directory} (object storage) does not have`);
    } else if (this.storage.kindSync(this.directory) !== undefined) {
      requireDir(this.storage, this.directory, "CheckpointManager");
      // Before cleanup: a forced save killed mid-replace leaves its step's only committed copy under a temporary name.
      if (!this.options.readOnly) recoverReplacesInSync(this.directory);
      if (cleanup) removeTmpDirsSync(this.directory);
    } else if (this.options.create) {
      fs.mkdirSync(this.directory, { recursive: true });
    }
    // In object storage this first listing also reports a wrong endpoint, wrong credentials or a missing bucket, before any work.
    this.steps = this.discover();
    if (this.storage.commit === "marker" && cleanup) this.background.start(() => this.removeUnfinishedSteps());
  }

  private listDirectory(): FolderEntry[] {
    try {
      return this.storage.listSync(this.directory);
    } catch (e) {
      throw new CheckpointError(`CheckpointManager: cannot list ${this.directory} (${(e as Error).message})`, { cause: e });
    }
  }

  private discover(): StepEntry[] {
    const found: StepEntry[] = [];
    const entries = this.listDirectory();
    for (const entry of entries) {
      if (entry.kind !== "folder") continue;
      const step = parseStepName(entry.name, this.options);
      if (step === undefined) continue;
      const dir = joinLocation(this.directory, entry.name);
      if (this.storage.commit === "marker" && !isCommittedSync(this.storage, dir)) continue;
      found.push({ step, time: this.stepTime(dir), metrics: this.readMetricsLenient(dir), inFlight: false, folder: entry.name });
    }
    if (this.options.readOnly && this.storage.commit === "rename") found.push(...this.interruptedSteps(entries));
    return found.sort((a, b) => a.step - b.step);
  }

  /** In object storage: steps whose save never wrote its marker, and temporary names, removed as a file system's temporary folders are. */
  private async removeUnfinishedSteps(): Promise<void> {
    for (const entry of await this.storage.list(this.directory)) {
      if (entry.kind !== "folder") continue;
      const dir = joinLocation(this.directory, entry.name);
      const unfinished = isTmpName(entry.name) || (parseStepName(entry.name, this.options) !== undefined && (await this.storage.kind(joinLocation(dir, COMMIT_FILE))) === undefined);
      if (unfinished && !this.steps.some((s) => s.inFlight && this.stepPath(s.step) === dir)) await this.storage.remove(dir);
    }
  }

  /**
   * Steps whose forced save was killed between its two renames, listed from
   * the folder that holds their committed copy: a read-only manager may not
   * move it back, yet must not hide the step. (A writable manager has already
   * recovered them.) If a writer recovers the step meanwhile, its restore
   * fails and reload() finds the step in its own folder again.
   */
  private interruptedSteps(entries: FolderEntry[]): StepEntry[] {
    const found: StepEntry[] = [];
    for (const entry of entries) {
      if (entry.kind !== "folder" || !entry.name.endsWith(REPLACED_SUFFIX)) continue;
      const stepFolder = entry.name.slice(0, -REPLACED_SUFFIX.length);
      const step = parseStepName(stepFolder, this.options);
      const interrupted = step === undefined ? undefined : findInterruptedReplaceSync(path.join(this.directory, stepFolder));
      if (step === undefined || interrupted === undefined) continue;
      const dir = interrupted.committed;
      found.push({ step, time: this.stepTime(dir), metrics: this.readMetricsLenient(dir), inFlight: false, folder: path.basename(dir) });
    }
    return found;
  }

  /** The folder of `step` (whether or not it exists). */
  stepPath(step: number): string {
    const folder = this.steps.find((s) => s.step === step)?.folder;
    return joinLocation(this.directory, folder ?? stepName(step, this.options));
  }

  private entry(step: number, what: string): StepEntry {
    checkStep(step, what);
    const found = this.steps.find((s) => s.step === step);
    if (found === undefined) throw new CheckpointError(`${what}: step ${step} was not found in ${this.directory}. Available steps: [${this.allSteps().join(", ")}]`);
    return found;
  }

  latestStep(): number | undefined {
    return this.steps.at(-1)?.step;
  }

  allSteps(): number[] {
    return this.steps.map((s) => s.step);
  }

  bestStep(): number | undefined {
    if (this.options.bestFn === undefined) return this.latestStep();
    return sortByMetric(this.steps, this.options).at(-1)?.step;
  }

  shouldSave(step: number): boolean {
    checkStep(step, "shouldSave");
    if (this.options.readOnly) return false;
    return decideSave(step, this.steps, this.options);
  }

  /** The metrics saved with `step`, or undefined if none were. */
  metrics(step: number): Record<string, unknown> | undefined {
    const entry = this.entry(step, "metrics");
    if (entry.inFlight) return entry.metrics;
    return this.readMetrics(this.stepPath(step));
  }

  /** Per item of `step`: its stored tree (paths, shapes, dtypes) or that it is JSON. */
  async itemMetadata(step: number): Promise<Record<string, ItemMetadata>> {
    this.entry(step, "itemMetadata");
    await this.background.wait();
    const dir = this.stepPath(step);
    const out: Record<string, ItemMetadata> = {};
    for (const name of this.listItems(dir)) {
      const itemDir = joinLocation(dir, name);
      out[name] = (await isJsonItem(this.storage, itemDir)) ? { kind: "json" } : { kind: "pytree", leaves: (await readPyTreeMetadata(itemDir, this.storage)).leaves };
    }
    return out;
  }

  /** One summary per step, oldest first. */
  stepSummaries(): StepSummary[] {
    return this.summarise(() => true);
  }

  /** `stepSummaries()` of one step, reading only that step's record from disk. */
  stepSummary(step: number): StepSummary | undefined {
    return this.summarise((s) => s.step === step)[0];
  }

  private summarise(wanted: (s: StepEntry) => boolean): StepSummary[] {
    const best = this.options.bestFn !== undefined ? this.bestStep() : undefined;
    const reasons = keepReasons(this.steps, this.options);
    return this.steps.flatMap((s, i) =>
      wanted(s)
        ? [{
            ...(s.inFlight ? {} : this.readSaveRecordLenient(this.stepPath(s.step))),
            step: s.step,
            time: s.time,
            metrics: s.metrics,
            best: s.step === best,
            keptBy: reasons[i],
            inFlight: s.inFlight,
          }]
        : [],
    );
  }

  /**
   * Saves `args` as `step`. Resolves false when the save policy declines (and
   * force is not set); otherwise true once the values are captured (async:
   * the caller may change or dispose its arrays from then on) or the step is
   * committed (enableAsyncCheckpointing: false).
   */
  async save(step: number, options: ManagerSaveOptions): Promise<boolean> {
    if (this.options.readOnly) throw new CheckpointError(`save: the CheckpointManager for ${this.directory} is read-only (readOnly: true)`);
    checkStep(step, "save");
    if (options === undefined || options.args === undefined) throw new Error(`save(${step}): pass { args: ocp.args.StandardSave(state) } (or Composite(...))`);
    await this.background.wait();
    const force = options.force === true;
    const existing = this.steps.some((s) => s.step === step) || isCommittedSync(this.storage, this.stepPath(step));
    if (existing && !force) throw new StepAlreadyExistsError(step, this.directory);
    if (!force && !this.shouldSave(step)) return false;
    if (this.storage.commit === "rename" && this.storage.kindSync(this.directory) === undefined) {
      throw new CheckpointError(`save: ${this.directory} does not exist and the manager was built with create: false`);
    }

    const started = Date.now();
    const itemArgs = options.args.kind === "Composite" ? options.args.items : { [DEFAULT_ITEM]: options.args };
    if (METRICS_ITEM in itemArgs) throw new Error(`save(${step}): "${METRICS_ITEM}" is reserved for the step's metrics; pass them as { metrics }`);
    const staged: [string, StagedItem][] = [];
    try {
      for (const [name, args] of Object.entries(itemArgs)) staged.push([name, stageItem(args, `save step ${step}, item "${name}"`)]);
      if (options.metrics !== undefined) staged.push([METRICS_ITEM, stageItem({ kind: "JsonSave", item: options.metrics }, `save step ${step}, metrics`, METRICS_FILE)]);
    } catch (e) {
      staged.forEach(([, item]) => releaseItem(item));
      throw e;
    }
    const blockingSeconds = (Date.now() - started) / 1000;

    // A forced save replaces the step (in its own folder) only at commit: until then, and if it fails, the old one stays.
    const replaced = this.steps.find((s) => s.step === step);
    const entry: StepEntry = { step, time: started, metrics: options.metrics, inFlight: true, folder: replaced?.folder };
    this.steps = [...this.steps.filter((s) => s !== replaced), entry].sort((a, b) => a.step - b.step);
    const write = async (): Promise<void> => {
      try {
        const finalDir = this.stepPath(step);
        const tmp = await stageCheckpoint(this.storage, finalDir);
        // All at once; on a failure the others are waited for, so none writes on into a folder a later save of this step reuses.
        const sizes = await mapWithLimit(staged, staged.length, ([name, item]) => writeItem(this.storage, joinLocation(tmp, name), item, finalDir, this.options, "item"));
        const commitTime = Date.now();
        await writeCheckpointMetadata(this.storage, tmp, {
          itemHandlers: Object.fromEntries(staged.map(([name, item]) => [name, item.handler])),
          initTime: started,
          commitTime,
          customMetadata: options.customMetadata ?? {},
        });
        await writeSaveRecord(this.storage, tmp, { bytesWritten: sizes.reduce((a, b) => a + b, 0), blockingSeconds, totalSeconds: (Date.now() - started) / 1000 });
        await commitCheckpoint(this.storage, tmp, finalDir, force);
        entry.time = commitTime;
        entry.inFlight = false;
      } catch (e) {
        staged.forEach(([, item]) => releaseItem(item));
        this.steps = [...this.steps.filter((s) => s !== entry), ...(replaced ? [replaced] : [])].sort((a, b) => a.step - b.step);
        throw new CheckpointError(`Saving step ${step} in ${this.directory} failed: ${(e as Error).message}`, { cause: e });
      }
      await this.applyRetention();
    };
    if (this.options.enableAsyncCheckpointing) this.background.start(write);
    else await write();
    return true;
  }

  private async applyRetention(): Promise<void> {
    const keep = decideKeep(this.steps, this.options);
    const doomed = this.steps.filter((s, i) => !keep[i] && !s.inFlight);
    for (const s of doomed) await this.removeStepDir(s.step);
    this.steps = this.steps.filter((s) => !doomed.includes(s));
  }

  /** Takes the step out of the step namespace first (one rename, or its marker), so a crash mid-delete never leaves a partial step. */
  private async removeStepDir(step: number): Promise<void> {
    const dir = this.stepPath(step);
    if (this.storage.commit === "marker") return deleteCheckpoint(this.storage, dir);
    if (this.options.todeleteSubdir !== undefined) {
      const bin = path.join(this.directory, this.options.todeleteSubdir);
      await fsp.mkdir(bin, { recursive: true });
      const target = path.join(bin, path.basename(dir));
      await fsp.rm(target, { recursive: true, force: true });
      await fsp.rename(dir, target);
      return;
    }
    const doomed = `${dir}${TMP_MARKER}-deleting`;
    await fsp.rename(dir, doomed);
    await fsp.rm(doomed, { recursive: true, force: true });
  }

  async delete(step: number): Promise<void> {
    if (this.options.readOnly) throw new CheckpointError(`delete: the CheckpointManager for ${this.directory} is read-only (readOnly: true)`);
    await this.background.wait();
    this.entry(step, "delete");
    await this.removeStepDir(step);
    this.steps = this.steps.filter((s) => s.step !== step);
  }

  /** Rereads the directory (after another process changed it). */
  reload(): void {
    this.steps = this.discover();
  }

  /**
   * Restores `step` (default: the latest). With item args, the single item
   * `default`; with Composite, an object keyed by item name; with no args, the
   * `default` item alone if that is all there is, otherwise every item.
   * Typed by the templates the args carry (item by item for Composite).
   */
  restore<Items extends Record<string, ItemRestoreArgs>>(
    step: number | undefined,
    options: { args: CompositeArgs<ItemRestoreArgs, Items> },
  ): Promise<RestoredComposite<Items>>;
  restore<T>(step: number | undefined, options: { args: TemplateRestoreArgs<T> }): Promise<Restored<T>>;
  restore(step?: number, options?: { args?: RestoreArgs }): Promise<unknown>;
  async restore(step?: number, options: { args?: RestoreArgs } = {}): Promise<unknown> {
    await this.background.wait();
    const chosen = step ?? this.latestStep();
    if (chosen === undefined) throw new CheckpointError(`restore: there are no checkpoints in ${this.directory}`);
    this.entry(chosen, "restore");
    const dir = this.stepPath(chosen);
    const available = this.listItems(dir);
    const report = emptyReport();
    const restoreNamed = async (name: string, args: ItemRestoreArgs | undefined): Promise<unknown> => {
      if (!available.includes(name)) throw new CheckpointError(`Item "${name}" was not found. Available items: [${available.join(", ")}]`);
      return restoreItem(this.storage, joinLocation(dir, name), args, report, this.options.onProgress);
    };
    let result: unknown;
    const args = options.args;
    if (args?.kind === "Composite") {
      const out: Record<string, unknown> = {};
      for (const [name, itemArgs] of Object.entries(args.items)) out[name] = await restoreNamed(name, itemArgs);
      result = out;
    } else if (args !== undefined || (available.length === 1 && available[0] === DEFAULT_ITEM)) {
      result = await restoreNamed(DEFAULT_ITEM, args);
    } else {
      const out: Record<string, unknown> = {};
      for (const name of available) out[name] = await restoreNamed(name, undefined);
      result = out;
    }
    this.lastRestoreReport = report;
    return result;
  }

  waitUntilFinished(): Promise<void> {
    return this.background.wait();
  }

  close(): Promise<void> {
    return this.background.wait();
  }

  /** Item folders of a step (the metrics item is not one the caller saved). */
  private listItems(stepDir: string): string[] {
    requireDir(this.storage, stepDir, "restore");
    return this.storage
      .listSync(stepDir)
      .filter((e) => e.kind === "folder" && e.name !== METRICS_ITEM && !e.name.includes(TMP_MARKER))
      .map((e) => e.name)
      .sort();
  }

  private stepTime(dir: string): number {
    try {
      const meta = readCheckpointMetadataSync(this.storage, dir);
      if (meta?.commitTime !== undefined) return meta.commitTime;
    } catch {
      // Unreadable metadata: the folder's time still orders steps; restore reports the problem.
    }
    return this.storage.commit === "rename" ? fs.statSync(dir).mtimeMs : 0;
  }

  private readMetrics(stepDir: string): Record<string, unknown> | undefined {
    const file = joinLocation(stepDir, METRICS_ITEM, METRICS_FILE);
    const value = readJsonSync(this.storage, file);
    if (value === undefined) return undefined;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CheckpointError(`${file} does not hold a JSON object of metrics`);
    return value as Record<string, unknown>;
  }

  /** At discovery a step with unreadable metrics counts as one without metrics; metrics(step) reports why. */
  private readMetricsLenient(stepDir: string): Record<string, unknown> | undefined {
    try {
      return this.readMetrics(stepDir);
    } catch {
      return undefined;
    }
  }

  private readSaveRecordLenient(stepDir: string): Partial<SaveRecord> {
    try {
      return readSaveRecordSync(this.storage, stepDir) ?? {};
    } catch {
      return {};
    }
  }
}
