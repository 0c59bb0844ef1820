/** The optimizers as Optax composes them, so their states have Optax's layout. */
import { scaleByAdam, type AdamOptions } from "./adam.js";
import { chain } from "./chain.js";
import { identity, scaleByLearningRate } from "./scale.js";
import { trace } from "./trace.js";
import type { GradientTransformation, ScalarOrSchedule } from "./types.js";
import { addDecayedWeights } from "./weight-decay.js";

export function sgd(
  learningRate: ScalarOrSchedule,
  { momentum, nesterov = false }: { momentum?: number; nesterov?: boolean } = {},
): GradientTransformation {
  return chain(
    momentum === undefined ? identity() : trace({ decay: momentum, nesterov }),
    scaleByLearningRate(learningRate),
  );
}

export function adam(learningRate: ScalarOrSchedule, options: AdamOptions = {}): GradientTransformation {
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

export function adamw(
  learningRate: ScalarOrSchedule,
  { weightDecay = 1e-4, ...options }: AdamOptions & { weightDecay?: number } = {},
): GradientTransformation {
  return chain(scaleByAdam(options), addDecayedWeights(weightDecay), scaleByLearningRate(learningRate));
}
