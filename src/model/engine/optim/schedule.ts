import { OptimizerError, validateIntegerOption, validateOptionRange } from './errors';

/** Learning rate as a function of the 1-based number of the update being taken. */
export interface LearningRateSchedule {
  learningRateAt(step: number): number;
}

/**
 * Linear warm-up from `learningRate / warmupSteps` at step 1 to `learningRate` at step
 * `warmupSteps`, then a constant `learningRate`.
 */
export interface WarmupConstantOptions {
  kind: 'constant';
  learningRate: number;
  warmupSteps: number;
}

/**
 * The same linear warm-up, then a half cosine from `learningRate` at step `warmupSteps` down to
 * `minLearningRate` at step `totalSteps`. Later steps keep `minLearningRate`.
 */
export interface WarmupCosineOptions {
  kind: 'cosine';
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
  /** Defaults to 0. */
  minLearningRate?: number;
}

export type LearningRateScheduleOptions = WarmupConstantOptions | WarmupCosineOptions;

const MAX_STEPS = Number.MAX_SAFE_INTEGER;

/** Validates the options and returns the schedule they describe. */
export function createLearningRateSchedule(
  options: LearningRateScheduleOptions,
): LearningRateSchedule {
  validateOptionRange('learningRate', options.learningRate, {
    min: 0,
    max: Infinity,
    minExclusive: true,
    maxExclusive: true,
  });
  validateIntegerOption('warmupSteps', options.warmupSteps, 0, MAX_STEPS);

  switch (options.kind) {
    case 'constant':
      return createWarmupConstant(options);
    case 'cosine':
      return createWarmupCosine(options);
    default:
      return rejectUnknownKind(options);
  }
}

function createWarmupConstant(options: WarmupConstantOptions): LearningRateSchedule {
  const { learningRate, warmupSteps } = options;
  return {
    learningRateAt(step: number): number {
      validateStep(step);
      return step < warmupSteps ? (learningRate * step) / warmupSteps : learningRate;
    },
  };
}

function createWarmupCosine(options: WarmupCosineOptions): LearningRateSchedule {
  const { learningRate, warmupSteps, totalSteps } = options;
  const minLearningRate = options.minLearningRate ?? 0;
  validateIntegerOption('totalSteps', totalSteps, warmupSteps + 1, MAX_STEPS);
  validateOptionRange('minLearningRate', minLearningRate, {
    min: 0,
    max: Infinity,
    maxExclusive: true,
  });
  if (minLearningRate > learningRate) {
    throw new OptimizerError(
      'INVALID_OPTION',
      `invalid minLearningRate: ${minLearningRate}; expected at most the peak learningRate ${learningRate}`,
      undefined,
      'minLearningRate',
    );
  }

  const decaySteps = totalSteps - warmupSteps;
  return {
    learningRateAt(step: number): number {
      validateStep(step);
      if (step < warmupSteps) {
        return (learningRate * step) / warmupSteps;
      }
      const progress = Math.min(1, (step - warmupSteps) / decaySteps);
      const cosineFactor = 0.5 * (1 + Math.cos(Math.PI * progress));
      return minLearningRate + (learningRate - minLearningRate) * cosineFactor;
    },
  };
}

function validateStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 1) {
    throw new OptimizerError(
      'INVALID_OPTION',
      `invalid step: ${step}; expected an integer >= 1 (steps are counted from 1)`,
    );
  }
}

function rejectUnknownKind(options: never): never {
  const kind = (options as { kind: unknown }).kind;
  throw new OptimizerError(
    'INVALID_OPTION',
    `invalid schedule kind: ${String(kind)}; expected 'constant' or 'cosine'`,
  );
}
