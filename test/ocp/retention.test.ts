import assert from "node:assert/strict";
import { decideKeep, decideSave, keepReasons, type KeepPolicyOptions, type StepInfo } from "../../src/ocp/retention.js";

const steps = (ns: number[], metrics?: (n: number) => Record<string, unknown> | undefined): StepInfo[] =>
  ns.map((step) => ({ step, time: step * 1000, metrics: metrics?.(step) }));
const base: KeepPolicyOptions = { bestMode: "max", keepCheckpointsWithoutMetrics: true };
const kept = (infos: StepInfo[], options: Partial<KeepPolicyOptions>): number[] =>
  infos.filter((_, i) => decideKeep(infos, { ...base, ...options })[i]).map((s) => s.step);

describe("ocp retention: which steps are kept (Orbax's preservation policies)", () => {
  it("keeps everything without maxToKeep", () => {
    assert.deepEqual(kept(steps([1, 2, 3, 4]), {}), [1, 2, 3, 4]);
  });
  it("maxToKeep keeps the latest N; 0 keeps none", () => {
    assert.deepEqual(kept(steps([1, 2, 3, 4, 5]), { maxToKeep: 2 }), [4, 5]);
    assert.deepEqual(kept(steps([1, 2, 3]), { maxToKeep: 0 }), []);
  });
  it("keepPeriod keeps multiples of the period on top of the latest N", () => {
    assert.deepEqual(kept(steps([1, 2, 3, 4, 5, 6, 7]), { maxToKeep: 1, keepPeriod: 3 }), [3, 6, 7]);
  });
  it("keepTimeInterval keeps the first step and then one step per interval", () => {
    // times 0, 1, 2, ... 9 s; one per 4 s from the first: 0, 4, 8; plus the latest.
    const infos = steps([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(kept(infos, { maxToKeep: 1, keepTimeIntervalSeconds: 4 }), [0, 4, 8, 9]);
  });
  it("bestFn with bestMode max keeps the N highest metrics", () => {
    const acc: Record<number, number> = { 1: 0.5, 2: 0.9, 3: 0.1, 4: 0.7 };
    assert.deepEqual(kept(steps([1, 2, 3, 4], (s) => ({ acc: acc[s] })), { maxToKeep: 2, bestFn: (m) => m.acc as number }), [2, 4]);
  });
  it("bestFn with bestMode min keeps the N lowest metrics", () => {
    const loss: Record<number, number> = { 1: 0.5, 2: 0.9, 3: 0.1, 4: 0.7 };
    const infos = steps([1, 2, 3, 4], (s) => ({ loss: loss[s] }));
    assert.deepEqual(kept(infos, { maxToKeep: 2, bestMode: "min", bestFn: (m) => m.loss as number }), [1, 3]);
  });
  it("steps without metrics are kept by default and dropped with keepCheckpointsWithoutMetrics: false", () => {
    const infos = steps([1, 2, 3, 4], (s) => (s === 2 ? undefined : { loss: s }));
    const options = { maxToKeep: 1, bestMode: "min" as const, bestFn: (m: Record<string, unknown>) => m.loss as number };
    assert.deepEqual(kept(infos, options), [1, 2]);
    assert.deepEqual(kept(infos, { ...options, keepCheckpointsWithoutMetrics: false }), [1]);
  });
});

describe("ocp retention: why a step is kept", () => {
  it("names every policy that keeps each step", () => {
    const infos = steps([2, 3, 4, 5], (s) => (s === 3 ? undefined : { loss: s }));
    const reasons = keepReasons(infos, { ...base, maxToKeep: 1, keepPeriod: 4, bestMode: "min", bestFn: (m) => m.loss as number });
    assert.deepEqual(reasons, [["best"], ["withoutMetrics"], ["period"], []]);
    assert.deepEqual(keepReasons(steps([1, 2]), base), [["unlimited"], ["unlimited"]]);
  });
});

describe("ocp retention: whether a step is saved (Orbax's save decision policies)", () => {
  const opts = { saveIntervalSteps: 1 };
  it("always saves the first step, never a step at or below the latest", () => {
    assert.equal(decideSave(7, [], { saveIntervalSteps: 5 }), true);
    assert.equal(decideSave(3, steps([3]), opts), false);
    assert.equal(decideSave(2, steps([3]), opts), false);
    assert.equal(decideSave(4, steps([3]), opts), true);
  });
  it("saveIntervalSteps saves multiples only", () => {
    assert.equal(decideSave(6, steps([5]), { saveIntervalSteps: 5 }), false);
    assert.equal(decideSave(10, steps([5]), { saveIntervalSteps: 5 }), true);
  });
  it("saveOnSteps adds specific steps", () => {
    assert.equal(decideSave(7, steps([5]), { saveIntervalSteps: 5, saveOnSteps: [7] }), true);
    assert.equal(decideSave(8, steps([5]), { saveIntervalSteps: 5, saveOnSteps: [7] }), false);
  });
  it("shouldSaveFn replaces the interval policies and sees the last saved step", () => {
    const seen: [number, number | undefined][] = [];
    const fn = (step: number, last: number | undefined) => (seen.push([step, last]), step - (last ?? 0) >= 3);
    assert.equal(decideSave(2, steps([1]), { saveIntervalSteps: 1, shouldSaveFn: fn }), false);
    assert.equal(decideSave(4, steps([1]), { saveIntervalSteps: 1, shouldSaveFn: fn }), true);
    assert.deepEqual(seen, [[2, 1], [4, 1]]);
  });
});
