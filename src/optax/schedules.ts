/**
 * Learning-rate schedules (Optax's `schedules`): plain functions of the step
 * count, computed in JS doubles on the host.
 */
import { checkNumber } from "./state.js";
import type { Schedule } from "./types.js";

function checkSteps(value: number, name: string, schedule: string): void {
  checkNumber(value, name, schedule, (v) => Number.isInteger(v) && v >= 0, "a non-negative integer");
}

/**
 * A schedule that is always `value` (Optax's `optax.constant_schedule`).
 *
 * @example
 * const tx = optax.adam(optax.constantSchedule(1e-3));
 */
export function constantSchedule(value: number): Schedule {
  checkNumber(value, "value", "constantSchedule", () => true, "a finite number");
  return () => value;
}

/** From initValue to endValue along (1 - t)^power over transitionSteps, starting at transitionBegin. */
export function polynomialSchedule(
  initValue: number,
  endValue: number,
  power: number,
  transitionSteps: number,
  transitionBegin = 0,
): Schedule {
  checkSteps(transitionSteps, "transitionSteps", "polynomialSchedule");
  checkSteps(transitionBegin, "transitionBegin", "polynomialSchedule");
  if (transitionSteps === 0) return () => initValue; // Optax: a constant schedule when there is no transition
  return (step) => {
    const count = Math.min(Math.max(step - transitionBegin, 0), transitionSteps);
    return (initValue - endValue) * (1 - count / transitionSteps) ** power + endValue;
  };
}

/**
 * Linear change from `initValue` to `endValue` over `transitionSteps` steps, starting at
 * `transitionBegin`, constant before and after (Optax's `optax.linear_schedule`).
 *
 * @example
 * const lr = optax.linearSchedule(0, 1e-3, 100); // warm-up over 100 steps
 * const tx = optax.adam(lr);
 */
export function linearSchedule(initValue: number, endValue: number, transitionSteps: number, transitionBegin = 0): Schedule {
  return polynomialSchedule(initValue, endValue, 1, transitionSteps, transitionBegin);
}

/** Options of `exponentialDecay`. */
export interface ExponentialDecayOptions {
  /** Steps to hold `initValue` before decaying (default 0). */
  transitionBegin?: number;
  /** Decay in steps of `transitionSteps` (integer exponent) instead of continuously (default false). */
  staircase?: boolean;
  /** A bound the value never passes (a floor when decaying, a ceiling when growing). */
  endValue?: number;
}

/** initValue * decayRate^((step - transitionBegin) / transitionSteps). */
export function exponentialDecay(
  initValue: number,
  transitionSteps: number,
  decayRate: number,
  { transitionBegin = 0, staircase = false, endValue }: ExponentialDecayOptions = {},
): Schedule {
  checkSteps(transitionSteps, "transitionSteps", "exponentialDecay");
  checkSteps(transitionBegin, "transitionBegin", "exponentialDecay");
  checkNumber(decayRate, "decayRate", "exponentialDecay", (v) => v > 0, "> 0");
  if (transitionSteps === 0) return () => initValue;
  return (step) => {
    const elapsed = step - transitionBegin;
    if (elapsed <= 0) return initValue;
    const p = staircase ? Math.floor(elapsed / transitionSteps) : elapsed / transitionSteps;
    const value = initValue * decayRate ** p;
    if (endValue === undefined) return value;
    return decayRate < 1 ? Math.max(value, endValue) : Math.min(value, endValue);
  };
}

/** initValue * ((1 - alpha) * (0.5 (1 + cos(pi t / decaySteps)))^exponent + alpha), flat after decaySteps. */
export function cosineDecaySchedule(initValue: number, decaySteps: number, { alpha = 0, exponent = 1 } = {}): Schedule {
  checkNumber(decaySteps, "decaySteps", "cosineDecaySchedule", (v) => Number.isInteger(v) && v > 0, "a positive integer");
  return (step) => {
    const count = Math.min(Math.max(step, 0), decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * count) / decaySteps));
    return initValue * ((1 - alpha) * cosine ** exponent + alpha);
  };
}

/** schedules[i + 1] takes over at boundaries[i], counting its steps from there. */
export function joinSchedules(schedules: Schedule[], boundaries: number[]): Schedule {
  if (schedules.length !== boundaries.length + 1) {
    throw new Error(`joinSchedules: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${boundaries.length}`);
  }
  return (step) => {
    let value = schedules[0]!(step);
    boundaries.forEach((boundary, i) => {
      if (step >= boundary) value = schedules[i + 1]!(step - boundary);
    });
    return value;
  };
}

/** Linear warm-up from initValue to peakValue, then cosine decay to endValue at decaySteps. */
export function warmupCosineDecaySchedule(
  initValue: number,
  peakValue: number,
  warmupSteps: number,
  decaySteps: number,
  { endValue = 0, exponent = 1 } = {},
): Schedule {
  checkSteps(warmupSteps, "warmupSteps", "warmupCosineDecaySchedule");
  if (!(decaySteps > warmupSteps)) {
    throw new Error(`warmupCosineDecaySchedule: decaySteps (${decaySteps}) must exceed warmupSteps (${warmupSteps})`);
  }
  const alpha = peakValue === 0 ? 0 : endValue / peakValue;
  return joinSchedules(
    [linearSchedule(initValue, peakValue, warmupSteps), cosineDecaySchedule(peakValue, decaySteps - warmupSteps, { alpha, exponent })],
    [warmupSteps],
  );
}
