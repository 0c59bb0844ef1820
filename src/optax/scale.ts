/** Scaling by a constant or a schedule, and the learning-rate step built on them. */
import type * as jax from "@jax-js/jax";
import { countValue, incrementCount, zeroCount } from "./count.js";
import { checkNumber, expectState } from "./state.js";
import { treeDispose, treeMap } from "./tree.js";
import { stateless } from "./stateless.js";
import type { GradientTransformation, ScalarOrSchedule, Schedule } from "./types.js";

/** Leaves updates unchanged. */
export function identity(): GradientTransformation {
  return stateless("identity", (updates) => updates);
}

/** Multiplies updates by a constant. */
export function scale(stepSize: number): GradientTransformation {
  checkNumber(stepSize, "stepSize", "scale", () => true, "a finite number");
  return stateless("scale", (updates) => treeMap((u) => u.mul(stepSize), updates));
}

/** Multiplies updates by `schedule(count)`, then counts the step (Optax's ScaleByScheduleState). */
export function scaleBySchedule(schedule: Schedule): GradientTransformation {
  if (typeof schedule !== "function") throw new Error(`scaleBySchedule: schedule must be a function of the step, got ${schedule}`);
  return {
    init(params) {
      treeDispose(params);
      return { count: zeroCount() };
    },
    update(updates, state, params) {
      treeDispose(params);
      const count = expectState(state, ["count"], "scaleBySchedule").count as jax.Array;
      const step = countValue(count, "scaleBySchedule");
      const stepSize = schedule(step);
      checkNumber(stepSize, `schedule(${step})`, "scaleBySchedule", () => true, "a finite number");
      return [treeMap((u) => u.mul(stepSize), updates), { count: incrementCount(count) }];
    },
  };
}

/** Scales by `-learningRate` (a descent step), constant or scheduled. */
export function scaleByLearningRate(learningRate: ScalarOrSchedule, { flipSign = true } = {}): GradientTransformation {
  const sign = flipSign ? -1 : 1;
  if (typeof learningRate === "function") return scaleBySchedule((step) => sign * learningRate(step));
  checkNumber(learningRate, "learningRate", "scaleByLearningRate", () => true, "a finite number or a schedule");
  return scale(sign * learningRate);
}
