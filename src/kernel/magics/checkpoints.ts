/**
 * `%save`, `%restore`, `%checkpoints` and `%checkpoint_dir`: the notebook's
 * checkpoints through one `ocp.CheckpointManager` per folder (default
 * `./checkpoints` beside the notebook), Orbax's layout, so Python reads them.
 *
 * What is saved: a Module or Optimizer as `StandardSave(nnx.state(x))`, a
 * State as itself, an object of them (`{ model, optimizer }`) as a Composite
 * of those items. `%restore` takes the live value's state as template and
 * updates it in place only once everything was read and checked, so a failed
 * restore leaves the model as it was; `%restore m = new MLP(...)` builds the
 * model with `nnx.evalShape` (no initial weights allocated) and merges.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import * as nnx from "../../nnx/index.js";
import * as ocp from "../../ocp/index.js";
import { Pytree } from "../../nnx/pytreelib.js";
import { formatBytes } from "../../ocp/inspect.js";
import { isObjectUrl, resolveLocation, storageFor } from "../../ocp/storage/index.js";
import { flattenTree, pathName } from "../../ocp/tree.js";
import type { ProgressEvent, RestoreReport } from "../../ocp/index.js";
import type { ItemRestoreArgs, ItemSaveArgs, RestoreArgs, SaveArgs } from "../../ocp/args.js";
import { display } from "../exec/display.js";
import { byteProgress, type ByteProgress } from "../../display/progress.js";
import { checkpointHistory } from "../../display/checkpoint-history/index.js";
import { cellProgressSink } from "../exec/progress-binding.js";
import { print } from "./cell-io.js";
import { UsageError, type FlagSpec, type RuntimeMagic } from "./registry.js";
import { shownPath } from "../../display/shown-path.js";

export const DEFAULT_CHECKPOINT_DIR = "checkpoints";

/** How `--step best` ranks steps (set with `%checkpoint_dir --best NAME --mode min|max`). */
interface BestMetric {
  metric: string;
  mode: "min" | "max";
}

const DIR_FLAG: FlagSpec = { name: "dir", value: { kind: "string" }, help: "checkpoint folder or s3://bucket/prefix (default: the notebook's, see %checkpoint_dir)" };

/** The checkpoint magics of one notebook, sharing its folder setting and managers; `folder` resolves a `--dir`. */
export function checkpointMagics(cwd: string): { magics: RuntimeMagic[]; folder: (dirFlag: unknown) => string } {
  /** A folder relative to the notebook, or an `s3://bucket/prefix` URL as it is. */
  const locate = (dir: string): string => (isObjectUrl(dir) ? resolveLocation(dir) : path.resolve(cwd, dir));
  /** Nothing stored there yet (a bucket prefix exists once something is written under it). */
  const missing = (dir: string): boolean => storageFor(dir).kindSync(dir) === undefined;
  let directory = locate(DEFAULT_CHECKPOINT_DIR);
  let best: BestMetric | undefined;
  const managers = new Map<string, { manager: ocp.CheckpointManager; best: BestMetric | undefined }>();
  /** The bar of the save or restore in progress (one at a time: magics await theirs). */
  let progress: ByteProgress | null = null;

  const folder = (dirFlag: unknown): string => (dirFlag === undefined ? directory : locate(dirFlag as string));
  const managerFor = (dir: string): ocp.CheckpointManager => {
    const known = managers.get(dir);
    if (known && known.best === best) {
      known.manager.reload();
      return known.manager;
    }
    const ranking = best;
    const manager = new ocp.CheckpointManager(dir, {
      onProgress: (event: ProgressEvent) => progress?.update(event.doneBytes, event.totalBytes),
      ...(ranking ? { bestFn: (metrics: Record<string, unknown>) => Number(metrics[ranking.metric]), bestMode: ranking.mode } : {}),
    });
    managers.set(dir, { manager, best });
    return manager;
  };
  const withProgress = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    progress = byteProgress({ desc: label, sink: cellProgressSink() });
    try {
      const result = await work();
      progress.close();
      return result;
    } finally {
      progress = null;
    }
  };
  const chooseStep = (manager: ocp.CheckpointManager, step: unknown, dir: string): number => {
    if (step === undefined || step === "latest") {
      const latest = manager.latestStep();
      if (latest === undefined) throw new UsageError(`%restore: there are no checkpoints in ${dir}`);
      return latest;
    }
    if (step === "best") {
      if (!best) throw new UsageError(`%restore --step best: no metric to rank steps by; set one with %checkpoint_dir ${dir} --best METRIC --mode min|max`);
      const chosen = manager.bestStep();
      if (chosen === undefined) throw new UsageError(`%restore: there are no checkpoints in ${dir}`);
      return chosen;
    }
    if (!manager.allSteps().includes(step as number)) {
      throw new UsageError(`%restore: step ${String(step)} is not in ${dir}; steps: [${manager.allSteps().join(", ")}]`);
    }
    return step as number;
  };

  const save: RuntimeMagic = {
    name: "save",
    summary: "Checkpoint a Module, Optimizer, State or an object of them ({ model, optimizer } saves one item per entry) as the next step; waits until the step is committed.",
    synopsis: "<expr> [--dir DIR] [--step N] [--metrics JSON] [--force]",
    flags: [
      DIR_FLAG,
      { name: "step", value: { kind: "integer", min: 0 }, help: "step number (default: latest + 1)" },
      { name: "metrics", value: { kind: "json" }, help: "metrics saved with the step, JSON or {expression} (what --step best ranks)" },
      { name: "force", value: { kind: "switch" }, help: "replace an existing step" },
    ],
    operands: { kind: "expression" },
    async run({ flags, operands }) {
      const value = (operands[0] as () => unknown)();
      const args = saveArgs(value);
      const metrics = flags.metrics;
      if (metrics !== undefined && (typeof metrics !== "object" || metrics === null || Array.isArray(metrics))) {
        throw new UsageError(`%save: --metrics must be a JSON object such as {"loss": 0.1}, got ${JSON.stringify(metrics)}`);
      }
      const dir = folder(flags.dir);
      const manager = managerFor(dir);
      const step = (flags.step as number | undefined) ?? (manager.latestStep() ?? -1) + 1;
      const force = flags.force === true;
      if (manager.allSteps().includes(step) && !force) {
        throw new UsageError(`%save: step ${step} already exists in ${dir}; add --force to replace it, or leave --step out to save step ${(manager.latestStep() ?? -1) + 1}`);
      }
      const began = performance.now();
      const saved = await withProgress(`Saving step ${step}`, async () => {
        const accepted = await manager.save(step, { args, metrics: metrics as Record<string, unknown> | undefined, force });
        await manager.waitUntilFinished();
        return accepted;
      });
      if (!saved) {
        print(`Step ${step} was not saved: the manager's save policy declined it (add --force to save anyway)`);
        return undefined;
      }
      const seconds = (performance.now() - began) / 1000;
      const stepDir = manager.stepPath(step);
      const bytes = manager.stepSummary(step)?.bytesWritten ?? manager.storage.sizeSync(stepDir);
      print(`Saved step ${step}: ${formatBytes(bytes)} in ${seconds.toFixed(2)} s (${formatRate(bytes / Math.max(seconds, 1e-9))}) to ${shownPath(stepDir, cwd)}`);
      return undefined;
    },
  };

  const restore: RuntimeMagic = {
    name: "restore",
    summary:
      "Restore a step into a live Module, Optimizer or object of them, in place (its current state is the template); `%restore name = new Model(...)` builds the model without allocating its initial weights (nnx.evalShape) and binds name.",
    synopsis: "<target> | <name> = <constructor expression> [--step N|latest|best] [--dir DIR] [--partial] [--strict]",
    flags: [
      { name: "step", value: { kind: "step" }, help: "step number, latest (default) or best (ranked by %checkpoint_dir --best)" },
      DIR_FLAG,
      { name: "partial", value: { kind: "switch" }, help: "restore what matches the target, skip and report the rest" },
      { name: "strict", value: { kind: "switch" }, help: "refuse dtype conversions too (by default they are made and reported)" },
    ],
    operands: { kind: "binding-or-expression" },
    async run({ flags, operands, form }) {
      const dir = folder(flags.dir);
      if (missing(dir)) throw new UsageError(`%restore: there is no checkpoint folder ${dir}`);
      const manager = managerFor(dir);
      const step = chooseStep(manager, flags.step, dir);
      const options = { partial: flags.partial === true, strict: flags.strict === true };
      const began = performance.now();
      const read = async (args: RestoreArgs) =>
        withProgress(`Restoring step ${step}`, () => manager.restore(step, { args }));
      const operand = operands[0] as () => unknown;
      let result: unknown;
      let restored: unknown;
      // `name = ...` (the value form) builds abstractly; a plain target is updated in place.
      if (form === "value") {
        const abstract = nnx.evalShape(operand);
        const targets = restoreTargets(abstract, "%restore name = ...");
        restored = await read(restoreArgs(targets, options));
        checkStrict(manager.lastRestoreReport, options.strict, restored);
        result = mergeRestored(abstract, targets, restored);
      } else {
        const live = operand();
        const targets = restoreTargets(live, "%restore");
        restored = await read(restoreArgs(targets, options));
        checkStrict(manager.lastRestoreReport, options.strict, restored);
        updateInPlace(live, targets, restored);
      }
      print(restoreSummary(step, shownPath(manager.stepPath(step), cwd), restored, manager.lastRestoreReport, (performance.now() - began) / 1000));
      return result;
    },
  };

  const checkpoints: RuntimeMagic = {
    name: "checkpoints",
    summary: "The checkpoint history of the notebook's folder (or --dir): steps, time, size, metrics, which are kept and why.",
    synopsis: "[--dir DIR]",
    flags: [DIR_FLAG],
    operands: { kind: "none" },
    async run({ flags }) {
      const dir = folder(flags.dir);
      if (missing(dir)) throw new UsageError(`%checkpoints: there is no checkpoint folder ${dir} yet (%save creates it)`);
      for (const bundle of checkpointHistory(managerFor(dir))) await display.bundle(bundle);
      return undefined;
    },
  };

  const checkpointDir: RuntimeMagic = {
    name: "checkpoint_dir",
    summary: "Show or set the notebook's checkpoint folder (relative to the notebook); --best/--mode set how --step best ranks steps.",
    synopsis: "[DIR] [--best METRIC] [--mode min|max]",
    flags: [
      { name: "best", value: { kind: "string" }, help: "metric that ranks steps for --step best" },
      { name: "mode", value: { kind: "choice", choices: ["min", "max"] }, help: "min: lower is better; max (default): higher is better" },
    ],
    operands: { kind: "words", max: 1 },
    async run({ flags, operands }) {
      if (flags.mode !== undefined && flags.best === undefined) throw new UsageError("%checkpoint_dir: --mode needs --best METRIC");
      if (operands[0] !== undefined) directory = locate(operands[0] as string);
      if (flags.best !== undefined) best = { metric: flags.best as string, mode: (flags.mode as "min" | "max" | undefined) ?? "max" };
      print(`Checkpoints go to ${shownPath(directory, cwd)}${best ? `; --step best is the step with the ${best.mode === "min" ? "lowest" : "highest"} ${best.metric}` : ""}`);
      return undefined;
    },
  };

  return { magics: [save, restore, checkpoints, checkpointDir], folder };
}

type Saveable = Pytree | nnx.State;

function isSaveable(value: unknown): value is Saveable {
  return value instanceof Pytree || value instanceof nnx.State;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return `a ${typeof value}`;
  return `a ${(value as object).constructor?.name ?? "object"}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The named parts of a saved or restored value: one (the default item) or a Composite's entries. */
type Targets = { kind: "single"; value: Saveable } | { kind: "composite"; entries: [string, Saveable][] };

function targetsOf(value: unknown, what: string): Targets {
  if (isSaveable(value)) return { kind: "single", value };
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    const bad = entries.find(([, v]) => !isSaveable(v));
    if (entries.length > 0 && !bad) return { kind: "composite", entries: entries as [string, Saveable][] };
    if (bad) throw new UsageError(`${what}: entry '${bad[0]}' is ${describe(bad[1])}; every entry must be a Module, Optimizer or State`);
  }
  throw new UsageError(`${what}: expected a Module, Optimizer, State or an object of them, got ${describe(value)}`);
}

const stateOf = (value: Saveable): nnx.State => (value instanceof nnx.State ? value : nnx.state(value));

function saveArgs(value: unknown): SaveArgs {
  const targets = targetsOf(value, "%save");
  if (targets.kind === "single") return ocp.args.StandardSave(stateOf(targets.value));
  return ocp.args.Composite(Object.fromEntries(targets.entries.map(([name, v]) => [name, ocp.args.StandardSave(stateOf(v)) as ItemSaveArgs])));
}

function restoreTargets(value: unknown, what: string): Targets {
  const targets = targetsOf(value, what);
  const states = targets.kind === "single" ? [targets.value] : targets.entries.map(([, v]) => v);
  if (states.some((v) => v instanceof nnx.State)) {
    throw new UsageError(`${what}: a State cannot be restored in place; restore into the Module or Optimizer it came from`);
  }
  return targets;
}

function itemArgs(target: Saveable, options: { partial: boolean }): ItemRestoreArgs {
  const template = stateOf(target);
  return options.partial ? ocp.args.PyTreeRestore(template, { partialRestore: true }) : ocp.args.StandardRestore(template);
}

function restoreArgs(targets: Targets, options: { partial: boolean }): RestoreArgs {
  if (targets.kind === "single") return itemArgs(targets.value, options);
  return ocp.args.Composite(Object.fromEntries(targets.entries.map(([name, v]) => [name, itemArgs(v, options)])));
}

/** `--strict`: conversions (or shape changes) are refused; the restored arrays are released, the target is untouched. */
function checkStrict(report: RestoreReport, strict: boolean, restored: unknown): void {
  if (!strict) return;
  const changes = [
    ...report.conversions.map((c) => `${c.path}: stored ${c.from}, converted to ${c.to}`),
    ...report.reshaped.map((r) => `${r.path}: stored shape [${r.from.join(", ")}], changed to [${r.to.join(", ")}]`),
  ];
  if (changes.length === 0) return;
  for (const { leaf } of flattenTree(restored)) (leaf as { dispose?: () => void }).dispose?.();
  throw new UsageError(`%restore --strict: the checkpoint differs from the target, nothing was restored:\n  ${changes.join("\n  ")}`);
}

function updateInPlace(live: unknown, targets: Targets, restored: unknown): void {
  if (targets.kind === "single") {
    nnx.update(live, restored as nnx.State);
    return;
  }
  const parts = restored as Record<string, nnx.State>;
  for (const [name, target] of targets.entries) nnx.update(target, parts[name]!);
}

function mergeRestored(abstract: unknown, targets: Targets, restored: unknown): unknown {
  if (targets.kind === "single") return nnx.merge(nnx.graphdef(abstract), restored as nnx.State);
  const parts = restored as Record<string, nnx.State>;
  return Object.fromEntries(targets.entries.map(([name, target]) => [name, nnx.merge(nnx.graphdef(target), parts[name]!)]));
}

/** What the restore read, converted and skipped, path by path. */
function restoreSummary(step: number, stepDir: string, restored: unknown, report: RestoreReport, seconds: number): string {
  const leaves = flattenTree(restored).filter(({ leaf }) => typeof (leaf as { shape?: unknown }).shape === "object");
  const bytes = leaves.reduce((total, { leaf }) => {
    const array = leaf as { size: number; dtype: string };
    return total + array.size * bytesPerElement(array.dtype);
  }, 0);
  const lines = [`Restored step ${step} from ${stepDir}: ${leaves.length} array${leaves.length === 1 ? "" : "s"} (${formatBytes(bytes)}) in ${seconds.toFixed(2)} s`];
  if (leaves.length > 0) lines.push(`  restored: ${leaves.map(({ keys }) => pathName(keys)).join(", ")}`);
  for (const c of report.conversions) lines.push(`  converted: ${c.path} ${c.from} -> ${c.to}`);
  for (const r of report.reshaped) lines.push(`  reshaped: ${r.path} [${r.from.join(", ")}] -> [${r.to.join(", ")}]`);
  for (const s of report.skipped) lines.push(`  skipped: ${s.path} (${s.reason})`);
  return lines.join("\n");
}

function bytesPerElement(dtype: string): number {
  const bits = /(\d+)$/.exec(dtype)?.[1];
  return bits ? Number(bits) / 8 : dtype === "bool" ? 1 : 4;
}

/** Write rates in GB/s as benchmarks quote them; a small save (kilobytes in milliseconds) in MB/s or kB/s, not as "0.00 GB/s". */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e8) return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
  if (bytesPerSecond >= 1e5) return `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
  return `${(bytesPerSecond / 1e3).toFixed(2)} kB/s`;
}
