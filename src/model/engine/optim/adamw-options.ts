import { OptimizerError, validateOptionRange } from './errors';
import type { LearningRateSchedule } from './schedule';

export interface AdamWOptions {
  /** A fixed learning rate > 0, or a schedule called with the 1-based step number. */
  learningRate: number | LearningRateSchedule;
  /** Decay rate of the first moment, in [0, 1). Defaults to 0.9. */
  beta1?: number;
  /** Decay rate of the second moment, in [0, 1). Defaults to 0.999. */
  beta2?: number;
  /** Term added to the denominator for numerical stability, > 0. Defaults to 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay coefficient, >= 0. Defaults to 0.01. */
  weightDecay?: number;
  /** Maximum global L2 norm of the gradients, > 0. Unset means no clipping. */
  maxGradNorm?: number;
  /**
   * Returns true for parameters that get no weight decay (typically biases and LayerNorm
   * scales and shifts). Unset means every parameter is decayed.
   */
  noDecay?: (name: string) => boolean;
}

/** AdamW options after validation, with defaults filled in. */
export interface ResolvedAdamWOptions {
  learningRate: LearningRateSchedule;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  maxGradNorm: number | undefined;
  noDecay: (name: string) => boolean;
}

/** Validates AdamW options and fills in the defaults. */
export function resolveAdamWOptions(options: AdamWOptions): ResolvedAdamWOptions {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0.01;
  const positive = { min: 0, max: Infinity, minExclusive: true, maxExclusive: true };

  validateOptionRange('beta1', beta1, { min: 0, max: 1, maxExclusive: true });
  validateOptionRange('beta2', beta2, { min: 0, max: 1, maxExclusive: true });
  validateOptionRange('epsilon', epsilon, positive);
  validateOptionRange('weightDecay', weightDecay, { min: 0, max: Infinity, maxExclusive: true });
  if (options.maxGradNorm !== undefined) {
    validateOptionRange('maxGradNorm', options.maxGradNorm, positive);
  }
  if (options.noDecay !== undefined && typeof options.noDecay !== 'function') {
    throw new OptimizerError('INVALID_OPTION', 'invalid noDecay: expected a function of the name');
  }

  return {
    learningRate: resolveLearningRate(options.learningRate),
    beta1,
    beta2,
    epsilon,
    weightDecay,
    maxGradNorm: options.maxGradNorm,
    noDecay: options.noDecay ?? (() => false),
  };
}

function resolveLearningRate(learningRate: number | LearningRateSchedule): LearningRateSchedule {
  if (typeof learningRate === 'number') {
    validateOptionRange('learningRate', learningRate, {
      min: 0,
      max: Infinity,
      minExclusive: true,
      maxExclusive: true,
    });
    return { learningRateAt: () => learningRate };
  }
  if (typeof learningRate?.learningRateAt !== 'function') {
    throw new OptimizerError(
      'INVALID_OPTION',
      'invalid learningRate: expected a number > 0 or an object with learningRateAt(step)',
    );
  }
  return learningRate;
}

/** Calls the schedule and throws INVALID_OPTION unless it returns a finite number >= 0. */
export function learningRateForStep(schedule: LearningRateSchedule, step: number): number {
  const learningRate = schedule.learningRateAt(step);
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate < 0) {
    throw new OptimizerError(
      'INVALID_OPTION',
      `invalid learningRate at step ${step}: ${String(learningRate)}; the schedule must return a finite number >= 0`,
    );
  }
  return learningRate;
}
