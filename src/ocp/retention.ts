/**
 * Orbax's save and keep decisions, as pure functions over step records.
 * A step is kept if ANY keep policy keeps it; a step is saved if ANY save
 * policy asks for it (and it is newer than the latest step).
 */

export interface StepInfo {
  step: number;
  /** Commit time, ms since the epoch. */
  time: number;
  /** The metrics saved with the step, if any. */
  metrics?: Record<string, unknown>;
}

export interface SavePolicyOptions {
  saveIntervalSteps: number;
  saveOnSteps?: readonly number[];
  shouldSaveFn?: (step: number, lastStep: number | undefined) => boolean;
}

export interface KeepPolicyOptions {
  maxToKeep?: number;
  keepPeriod?: number;
  keepTimeIntervalSeconds?: number;
  bestFn?: (metrics: Record<string, unknown>) => number;
  bestMode: "min" | "max";
  keepCheckpointsWithoutMetrics: boolean;
}

/** Whether `step` should be saved given the steps already saved (ascending). */
export function decideSave(step: number, previous: readonly StepInfo[], options: SavePolicyOptions): boolean {
  const last = previous.length > 0 ? previous[previous.length - 1].step : undefined;
  if (last !== undefined && last >= step) return false;
  if (options.shouldSaveFn !== undefined) return options.shouldSaveFn(step, last);
  if (options.saveIntervalSteps > 0 && step % options.saveIntervalSteps === 0) return true;
  if (options.saveOnSteps?.includes(step)) return true;
  return previous.length === 0;
}

/** Steps ordered worst-to-best by `bestFn` (those without metrics left out), as Orbax sorts them. */
export function sortByMetric(steps: readonly StepInfo[], options: Pick<KeepPolicyOptions, "bestFn" | "bestMode">): StepInfo[] {
  const bestFn = options.bestFn;
  if (bestFn === undefined) return [];
  const withMetrics = steps.filter((s) => s.metrics !== undefined);
  const sign = options.bestMode === "min" ? -1 : 1;
  return [...withMetrics].sort((a, b) => sign * (bestFn(a.metrics!) - bestFn(b.metrics!)));
}

/** Why a step is kept: the Orbax policy that keeps it. */
export type KeepReason = "unlimited" | "latest" | "best" | "withoutMetrics" | "period" | "timeInterval";

/** For each step (ascending order), every policy that keeps it; an empty list means it is deleted. */
export function keepReasons(steps: readonly StepInfo[], options: KeepPolicyOptions): KeepReason[][] {
  const reasons: KeepReason[][] = steps.map(() => []);
  const n = options.maxToKeep;
  if (options.keepPeriod !== undefined) {
    steps.forEach((s, i) => {
      if (s.step % options.keepPeriod! === 0) reasons[i].push("period");
    });
  }
  if (options.keepTimeIntervalSeconds !== undefined && steps.length > 0) {
    let lastKept = steps[0].time;
    reasons[0].push("timeInterval");
    for (let i = 1; i < steps.length; i++) {
      if (steps[i].time - lastKept >= options.keepTimeIntervalSeconds * 1000) {
        reasons[i].push("timeInterval");
        lastKept = steps[i].time;
      }
    }
  }
  if (n === undefined) {
    reasons.forEach((r) => r.push("unlimited"));
  } else if (options.bestFn !== undefined) {
    const best = new Set(steps.length <= n ? steps.map((s) => s.step) : n === 0 ? [] : sortByMetric(steps, options).slice(-n).map((s) => s.step));
    steps.forEach((s, i) => {
      if (best.has(s.step)) reasons[i].push("best");
      else if (s.metrics === undefined && options.keepCheckpointsWithoutMetrics) reasons[i].push("withoutMetrics");
    });
  } else {
    steps.forEach((_, i) => {
      if (i >= steps.length - n) reasons[i].push("latest");
    });
  }
  return reasons;
}

/** One flag per step (ascending order): true = keep. */
export function decideKeep(steps: readonly StepInfo[], options: KeepPolicyOptions): boolean[] {
  return keepReasons(steps, options).map((r) => r.length > 0);
}
