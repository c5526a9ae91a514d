import type { ErrorDetail } from '../common/errors/app.exception';
import { previewValue } from '../common/errors/problem-description';
import { ValidationFailedException } from '../common/errors/request.exceptions';
import { describeJsonType, findObjectTypeProblem } from '../common/validation/json-object';
import { QFormerConfig, QFormerConfigError, resolveConfig } from '../model/qformer/config';
import { HISTORY_WINDOWS } from '../model/qformer/trainer';
import type { TrainingParameters } from './training-run';

/** Allowed values of one overridable setting. */
type FieldRule =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; values: readonly string[] };

const integer = (min: number, max: number): FieldRule => ({ kind: 'integer', min, max });

/**
 * Model settings a request may override, with their ranges. The lower bounds are those of
 * `resolveConfig`. The upper bounds keep one request from asking for a model that cannot fit
 * in memory. `eventTypeCount` is absent because the training data sets it.
 */
export const MODEL_RULES: Readonly<Record<string, FieldRule>> = {
  dim: integer(1, 1024),
  maxLength: integer(1, 4096),
  encoderBlocks: integer(0, 16),
  queryCount: integer(1, 64),
  qformerBlocks: integer(1, 16),
  heads: integer(1, 64),
  feedForwardDim: integer(1, 8192),
  gatedFeedForward: { kind: 'boolean' },
  dropout: { kind: 'number', min: 0, max: 1, maxExclusive: true },
  itemDropout: { kind: 'number', min: 0, max: 1, maxExclusive: true },
  qformerDropout: { kind: 'number', min: 0, max: 1, maxExclusive: true },
  relativePositionBias: { kind: 'boolean' },
  encoderPositionBias: { kind: 'boolean' },
  slotConditioning: { kind: 'boolean' },
  scaleItemEmbeddings: { kind: 'boolean' },
  readout: { kind: 'choice', values: ['qformer', 'last'] },
  aggregation: { kind: 'choice', values: ['max', 'logsumexp'] },
  aggregationTemperature: { kind: 'number', min: 0, max: 100, minExclusive: true },
  interestSelection: { kind: 'choice', values: ['all', 'target'] },
  maskHistoryItems: { kind: 'boolean' },
  fullSoftmaxMaxItems: integer(1, 10_000_000),
  sampledNegatives: integer(1, 100_000),
};

/** Trainer settings a request may override, with their ranges. */
export const TRAINER_RULES: Readonly<Record<string, FieldRule>> = {
  epochs: integer(1, 1000),
  batchSize: integer(1, 4096),
  learningRate: { kind: 'number', min: 0, max: 1, minExclusive: true },
  warmupSteps: integer(0, 1_000_000),
  weightDecay: { kind: 'number', min: 0, max: 1 },
  maxGradNorm: { kind: 'number', min: 0, max: 1_000_000, minExclusive: true },
  emaDecay: { kind: 'number', min: 0, max: 1, maxExclusive: true },
  patience: integer(1, 1000),
  seed: integer(0, 2_147_483_647),
  lengthBuckets: { kind: 'boolean' },
  historyWindows: { kind: 'choice', values: HISTORY_WINDOWS },
  maxSeconds: { kind: 'number', min: 0, max: 7 * 86_400, minExclusive: true },
  validationBatchSize: integer(1, 4096),
};

const TOP_LEVEL_RULES: Readonly<Record<string, FieldRule>> = {
  topK: integer(1, 1000),
  validationUsers: integer(1, 10_000_000),
  force: { kind: 'boolean' },
};

/** A validated `POST /admin/training-runs` body. */
export interface StartTrainingRequest {
  parameters: TrainingParameters;
  force: boolean;
}

/**
 * Validates the body of `POST /admin/training-runs`:
 * `{ model?: {...}, trainer?: {...}, topK?, validationUsers?, force? }`. An absent body
 * starts a run with the defaults. Every problem is collected before throwing, each naming
 * its field (`model.dim`), its value and the allowed range.
 */
export function parseStartTrainingRequest(body: unknown): StartTrainingRequest {
  if (body === undefined) {
    return { parameters: { model: {}, trainer: {} }, force: false };
  }
  const typeProblem = findObjectTypeProblem(body);
  if (typeProblem !== undefined) {
    throw new ValidationFailedException([
      { field: 'body', value: previewValue(body), problem: typeProblem },
    ]);
  }

  const problems: ErrorDetail[] = [];
  const { model: modelValue, trainer: trainerValue, ...topLevel } = body as Record<string, unknown>;
  const top = readFields(topLevel, TOP_LEVEL_RULES, '', problems, ['model', 'trainer']);
  const model = readSection(modelValue, 'model', MODEL_RULES, problems);
  const trainer = readSection(trainerValue, 'trainer', TRAINER_RULES, problems);
  if (problems.length === 0) {
    checkModelConfig(model, problems);
  }
  if (problems.length > 0) {
    throw new ValidationFailedException(problems);
  }

  const parameters: TrainingParameters = { model, trainer };
  if (top.topK !== undefined) {
    parameters.topK = top.topK as number;
  }
  if (top.validationUsers !== undefined) {
    parameters.validationUsers = top.validationUsers as number;
  }
  return { parameters, force: top.force === true };
}

function readSection(
  value: unknown,
  name: string,
  rules: Readonly<Record<string, FieldRule>>,
  problems: ErrorDetail[],
): Record<string, unknown> {
  if (value === undefined) {
    return {};
  }
  const typeProblem = findObjectTypeProblem(value);
  if (typeProblem !== undefined) {
    problems.push({ field: name, value: previewValue(value), problem: typeProblem });
    return {};
  }
  return readFields(value as Record<string, unknown>, rules, `${name}.`, problems);
}

function readFields(
  fields: Record<string, unknown>,
  rules: Readonly<Record<string, FieldRule>>,
  prefix: string,
  problems: ErrorDetail[],
  sections: readonly string[] = [],
): Record<string, unknown> {
  const accepted: Record<string, unknown> = {};
  const allowed = [...sections, ...Object.keys(rules)].join(', ');
  for (const [name, value] of Object.entries(fields)) {
    const field = `${prefix}${name}`;
    const rule = Object.hasOwn(rules, name) ? rules[name] : undefined;
    if (rule === undefined) {
      problems.push({
        field,
        value: previewValue(value),
        problem: `is not an allowed field; allowed fields are ${allowed}`,
      });
      continue;
    }
    const problem = findRuleProblem(value, rule);
    if (problem === undefined) {
      accepted[name] = value;
    } else {
      problems.push({ field, value: previewValue(value), problem });
    }
  }
  return accepted;
}

/** Returns why `value` breaks `rule`, naming the allowed range, or undefined when it fits. */
export function findRuleProblem(value: unknown, rule: FieldRule): string | undefined {
  switch (rule.kind) {
    case 'integer':
      return Number.isInteger(value) &&
        (value as number) >= rule.min &&
        (value as number) <= rule.max
        ? undefined
        : `must be an integer from ${rule.min} to ${rule.max}`;
    case 'number':
      return isNumberInRange(value, rule) ? undefined : `must be a number ${describeRange(rule)}`;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `must be true or false, not ${describeJsonType(value)}`;
    case 'choice':
      return typeof value === 'string' && rule.values.includes(value)
        ? undefined
        : `must be one of ${rule.values.join(', ')}`;
    default:
      return assertNever(rule);
  }
}

function isNumberInRange(value: unknown, rule: Extract<FieldRule, { kind: 'number' }>): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return false;
  }
  const aboveMin = rule.minExclusive === true ? value > rule.min : value >= rule.min;
  const belowMax = rule.maxExclusive === true ? value < rule.max : value <= rule.max;
  return aboveMin && belowMax;
}

function describeRange(rule: Extract<FieldRule, { kind: 'number' }>): string {
  const lower = rule.minExclusive === true ? `greater than ${rule.min}` : `of at least ${rule.min}`;
  const upper = rule.maxExclusive === true ? `less than ${rule.max}` : `at most ${rule.max}`;
  return `${lower} and ${upper}`;
}

/**
 * Runs the model's own validation for the rules between fields (heads must divide dim),
 * naming the field that `resolveConfig` rejected.
 */
function checkModelConfig(model: Partial<QFormerConfig>, problems: ErrorDetail[]): void {
  try {
    resolveConfig(model);
  } catch (error: unknown) {
    if (!(error instanceof QFormerConfigError)) {
      throw error;
    }
    const value = model[error.field];
    // "invalid heads 3: it must divide dim 64" becomes "must divide dim 64".
    const problem = error.message.replace(/^invalid \w+ [^:]*: (it )?/, '');
    problems.push({ field: `model.${error.field}`, value: previewValue(value), problem });
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled rule: ${JSON.stringify(value)}`);
}
