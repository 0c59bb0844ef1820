/** The optimizers as Optax composes them, so their states have Optax's layout. */
import { scaleByAdam, type AdamOptions } from "./adam.js";
import { chain } from "./chain.js";
import { identity, scaleByLearningRate } from "./scale.js";
import { trace } from "./trace.js";
import type { GradientTransformation, ScalarOrSchedule } from "./types.js";
import { addDecayedWeights } from "./weight-decay.js";

/**
 * Stochastic gradient descent, optionally with momentum (Optax's `optax.sgd`):
 * `-learningRate * g`, or with `momentum` `-learningRate * t` where `t = g + momentum * t_prev`
 * (`nesterov`: `g + momentum * t`). With momentum: `chain(trace(...), scaleByLearningRate(lr))`.
 *
 * @param learningRate - a constant or a schedule of the step count.
 * @param options - `momentum` (default none), `nesterov` (default false).
 * @example
 * const optimizer = new nnx.Optimizer(model, optax.sgd(0.1, { momentum: 0.9 }));
 */
export function sgd(
  learningRate: ScalarOrSchedule,
  { momentum, nesterov = false }: { momentum?: number; nesterov?: boolean } = {},
): GradientTransformation {
  return chain(
    momentum === undefined ? identity() : trace({ decay: momentum, nesterov }),
    scaleByLearningRate(learningRate),
  );
}

/**
 * The Adam optimizer (Optax's `optax.adam`): bias-corrected moment estimates
 * (`scaleByAdam`) scaled by `-learningRate`. Defaults as Optax: b1 0.9, b2 0.999, eps 1e-8, epsRoot 0.
 *
 * @param learningRate - a constant or a schedule of the step count.
 * @param options - `b1`, `b2`, `eps`, `epsRoot`.
 * @example
 * const optimizer = new nnx.Optimizer(model, optax.adam(1e-3));
 */
export function adam(learningRate: ScalarOrSchedule, options: AdamOptions = {}): GradientTransformation {
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

/**
 * Adam with decoupled weight decay (Optax's `optax.adamw`): the Adam update plus
 * `weightDecay * params`, all scaled by `-learningRate`. Defaults as Optax: weightDecay 1e-4,
 * b1 0.9, b2 0.999, eps 1e-8. Its `update` needs the params (nnx.Optimizer passes them).
 *
 * @param learningRate - a constant or a schedule of the step count.
 * @param options - `weightDecay`, `b1`, `b2`, `eps`, `epsRoot`.
 * @example
 * const optimizer = new nnx.Optimizer(model, optax.adamw(1e-3, { weightDecay: 1e-2 }));
 */
export function adamw(
  learningRate: ScalarOrSchedule,
  { weightDecay = 1e-4, ...options }: AdamOptions & { weightDecay?: number } = {},
): GradientTransformation {
  return chain(scaleByAdam(options), addDecayedWeights(weightDecay), scaleByLearningRate(learningRate));
}
