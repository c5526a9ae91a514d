import { ItemVocabulary } from '../data/item-vocabulary';
import { SequenceDataset } from '../data/sequence-dataset';
import { SequenceSource } from '../data/sequence-source';
import { EvaluationSet, leaveOneOutSplit } from '../data/split';
import { ParameterTensor } from '../engine/optim/adamw';
import { resolveAdamWOptions } from '../engine/optim/adamw-options';
import { validateIntegerOption, validateOptionRange } from '../engine/optim/errors';
import { createLearningRateSchedule, LearningRateSchedule } from '../engine/optim/schedule';
import { EngineSessionOptions } from '../engine/providers';
import { createRng, permutation, Rng } from '../engine/random';
import { evaluateRanking, FullRankingMetrics } from '../eval/ranking-evaluation';
import { InteractionSequence, NegativeSampler, TrainingBatchBuilder } from './batch';
import { QFormerConfig } from './config';
import { cloneParameters, initializeParameters, ParameterSpec } from './parameters';
import { buildInferenceGraph } from './inference-graph';
import { QFormerForward, QFormerTrainingStep } from './training-step';

/**
 * Reads a sequence source into training data. The item vocabulary covers every id in it
 * (indices 1..N, which travel with a saved model). Each user's sequence without its last two
 * items is training data, and the second-to-last item is that user's validation target.
 */
export async function trainingDataFromSource(source: SequenceSource): Promise<TrainingData> {
  const vocabulary = await ItemVocabulary.fromSources([source]);
  const split = leaveOneOutSplit(await SequenceDataset.fromSource(source, vocabulary));
  return { vocabulary, train: split.train, validation: split.validation };
}

/** Training sequences and the validation users, encoded with one item vocabulary. */
export interface TrainingData {
  vocabulary: ItemVocabulary;
  train: SequenceDataset;
  /** Users whose next item is ranked after each epoch, for early stopping. */
  validation?: EvaluationSet;
}

export interface TrainerOptions {
  /** Maximum number of passes over the training sequences. */
  epochs: number;
  batchSize: number;
  /** Peak AdamW learning rate after the linear warm-up. */
  learningRate: number;
  warmupSteps: number;
  /**
   * After the warm-up: `constant`, or `cosine`, a half cosine from `learningRate` down to
   * `minLearningRate` at the end of the last planned epoch (`epochs`) or of the time budget
   * (`maxSeconds`), whichever comes first.
   */
  learningRateSchedule: LearningRateScheduleKind;
  /** Final learning rate of the cosine schedule. */
  minLearningRate: number;
  weightDecay: number;
  /** Maximum global gradient L2 norm; gradients above it are scaled down. */
  maxGradNorm: number;
  /**
   * Decay of an exponential moving average of the weights, updated after every step, or 0 for
   * none. With an average, validation ranks with the averaged weights and the best epoch keeps
   * them.
   */
  emaDecay: number;
  /** Epochs without a better validation NDCG@10 before training stops. */
  patience: number;
  /** Seed of parameter initialisation, batch order, negatives and dropout. */
  seed: number;
  /**
   * Groups sequences by length into windows of a quarter, half and all of maxLength, so that
   * short sequences do not pay for padding slots. Each batch contains one group.
   */
  lengthBuckets: boolean;
  /**
   * Windows that a sequence longer than `maxLength + 1` trains on: `last`, its last
   * `maxLength + 1` interactions only (as SASRec does), or `all`, consecutive windows that give
   * every interaction after the first one a training slot.
   */
  historyWindows: HistoryWindows;
  /** Training stops after the epoch that ends past this many seconds; unset means no limit. */
  maxSeconds?: number;
  /** Users per validation forward run. */
  validationBatchSize: number;
  sessionOptions?: EngineSessionOptions;
  /** Called once before the first step with the size of an epoch, for logs. */
  onStart?: (plan: TrainingPlan) => void;
  /** Called after every step, for progress bars. */
  onStep?: (progress: StepProgress) => void;
  /** Called after every epoch with its summary, for logs. */
  onEpoch?: (summary: EpochSummary) => void;
}

export const DEFAULT_TRAINER_OPTIONS: Readonly<TrainerOptions> = {
  epochs: 200,
  batchSize: 32,
  learningRate: 4e-3,
  warmupSteps: 50,
  learningRateSchedule: 'cosine',
  minLearningRate: 0,
  weightDecay: 0.01,
  maxGradNorm: 5,
  emaDecay: 0,
  patience: 10,
  seed: 42,
  lengthBuckets: true,
  historyWindows: 'last',
  // A training run is budgeted in time, and the cosine schedule ends with the budget.
  maxSeconds: 25 * 60,
  validationBatchSize: 256,
};

export const HISTORY_WINDOWS = ['last', 'all'] as const;
export type HistoryWindows = (typeof HISTORY_WINDOWS)[number];

export const LEARNING_RATE_SCHEDULES = ['constant', 'cosine'] as const;
export type LearningRateScheduleKind = (typeof LEARNING_RATE_SCHEDULES)[number];

/** Size of one epoch, known before training starts. */
export interface TrainingPlan {
  /** Training windows (sequences, or parts of long ones with `historyWindows: 'all'`). */
  windows: number;
  /** Next-item targets in those windows: every interaction after a window's first. */
  targets: number;
  stepsPerEpoch: number;
}

export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface EpochSummary {
  epoch: number;
  /** Mean training loss of the epoch's steps, weighted by target count. */
  loss: number;
  /** Validation NDCG@10 and HR@10; NaN without validation users. */
  validationNdcg10: number;
  validationHitRate10: number;
  sequencesPerSecond: number;
  /** Seconds of this epoch's training steps, without validation. */
  trainSeconds: number;
  /** Seconds since training started, validation included. */
  elapsedSeconds: number;
  /** Estimated seconds until the epoch limit or the time limit, whichever comes first. */
  etaSeconds: number;
  /** True when this epoch has the best validation NDCG@10 so far. */
  best: boolean;
}

export interface TrainingResult {
  /** Weights of the epoch with the best validation NDCG@10 (the last epoch without validation). */
  parameters: ParameterTensor[];
  bestEpoch: number;
  epochs: EpochSummary[];
  /** Reason training ended. */
  stopReason: 'epochs' | 'patience' | 'time';
}

/**
 * Trains the model on `data.train`: epochs over the sequences in seeded random order, a
 * validation ranking after each epoch, and early stopping on validation NDCG@10.
 */
export async function trainQFormer(
  config: QFormerConfig,
  data: TrainingData,
  overrides: Partial<TrainerOptions> = {},
): Promise<TrainingResult> {
  const options = resolveTrainerOptions(overrides);
  if (config.ensembleMembers !== 1) {
    throw new Error(
      `invalid ensembleMembers ${config.ensembleMembers} for training: train each member ` +
        'with ensembleMembers 1 and combine the saved models with `qrec ensemble`',
    );
  }
  const itemCount = data.vocabulary.size;
  const rng = createRng(options.seed);
  const sequences = trainingSequences(data.train, config.maxLength, options.historyWindows);
  if (sequences.length === 0) {
    throw new Error('no training sequence has 2 or more interactions');
  }
  const windowLengths = windowBuckets(config.maxLength, options.lengthBuckets);
  const plan = trainingPlanOf(sequences, config.maxLength, windowLengths, options.batchSize);
  options.onStart?.(plan);

  const parameters = initializeParameters(parameterSpecsOf(config, itemCount), options.seed);
  const step = await QFormerTrainingStep.create(config, itemCount, parameters, {
    batchSize: options.batchSize,
    windowLengths,
    dropoutSeed: options.seed,
    sessionOptions: options.sessionOptions,
    optimizer: {
      learningRate: learningRateScheduleOf(options, plan.stepsPerEpoch),
      weightDecay: options.weightDecay,
      maxGradNorm: options.maxGradNorm,
    },
  });
  const forward = await QFormerForward.create(config, itemCount, 10, options.sessionOptions);
  const itemCounts = data.train.itemCounts(itemCount);
  const builder = new TrainingBatchBuilder(
    config,
    itemCount,
    options.batchSize,
    new NegativeSampler(itemCounts),
  );

  try {
    const average =
      options.emaDecay > 0 ? new WeightAverage(parameters, options.emaDecay) : undefined;
    const evaluated = average?.parameters ?? parameters;
    const loop = new EpochLoop(options, windowLengths, step, builder, rng.fork('batches'), average);
    const validate = async (): Promise<{ ndcg: number; hitRate: number }> =>
      data.validation === undefined
        ? { ndcg: Number.NaN, hitRate: Number.NaN }
        : validationMetrics(forward, evaluated, data.validation, itemCounts, options);
    return await loop.run(sequences, evaluated, validate);
  } finally {
    await step.release();
    await forward.release();
  }
}

/**
 * Ranks every item for the users of `set` with the given weights (history removed, top 10).
 * Used once after training to report figures on users that training never selected on.
 */
export async function evaluateParameters(
  config: QFormerConfig,
  parameters: readonly ParameterTensor[],
  set: EvaluationSet,
  itemPopularity: Int32Array,
  sessionOptions?: EngineSessionOptions,
): Promise<FullRankingMetrics> {
  const itemCount = itemPopularity.length - 1;
  const forward = await QFormerForward.create(config, itemCount, 10, sessionOptions);
  try {
    const report = await evaluateRanking(
      (histories) => forward.score(histories, parameters),
      set,
      itemCount,
      { itemPopularity, k: 10, batchSize: DEFAULT_TRAINER_OPTIONS.validationBatchSize },
    );
    return report.full;
  } finally {
    await forward.release();
  }
}

/**
 * Fills the defaults into trainer options and validates the values that the optimiser and the
 * schedule would reject only at their first step. Throws an OptimizerError that names the
 * option.
 */
export function resolveTrainerOptions(overrides: Partial<TrainerOptions> = {}): TrainerOptions {
  const options: TrainerOptions = { ...DEFAULT_TRAINER_OPTIONS, ...overrides };
  validateIntegerOption('epochs', options.epochs, 1, Number.MAX_SAFE_INTEGER);
  validateIntegerOption('batchSize', options.batchSize, 1, Number.MAX_SAFE_INTEGER);
  validateIntegerOption('patience', options.patience, 1, Number.MAX_SAFE_INTEGER);
  validateOptionRange('emaDecay', options.emaDecay, { min: 0, max: 1, maxExclusive: true });
  resolveAdamWOptions({
    learningRate: learningRateScheduleOf(options, 1),
    weightDecay: options.weightDecay,
    maxGradNorm: options.maxGradNorm,
  });
  return options;
}

/**
 * Returns the optimiser's schedule. The cosine decays over `options.epochs` epochs of steps,
 * or over `options.maxSeconds` when that budget ends first. After the warm-up its progress is
 * the larger of the share of planned steps taken and the share of the time budget spent
 * (timed from the first step), so a run stopped by its time limit also ends near the minimum.
 */
export function learningRateScheduleOf(
  options: TrainerOptions,
  stepsPerEpoch: number,
  nowSeconds: () => number = () => performance.now() / 1000,
): LearningRateSchedule {
  const { learningRate, warmupSteps, maxSeconds } = options;
  if (options.learningRateSchedule === 'constant') {
    return createLearningRateSchedule({ kind: 'constant', learningRate, warmupSteps });
  }
  const totalSteps = Math.max(options.epochs * stepsPerEpoch, warmupSteps + 1);
  const cosine = createLearningRateSchedule({
    kind: 'cosine',
    learningRate,
    warmupSteps,
    totalSteps,
    minLearningRate: options.minLearningRate,
  });
  let started: number | undefined;
  return {
    learningRateAt(step: number): number {
      started ??= nowSeconds();
      if (maxSeconds === undefined || step <= warmupSteps) {
        return cosine.learningRateAt(step);
      }
      const timeShare = Math.min(1, (nowSeconds() - started) / maxSeconds);
      const stepByTime = warmupSteps + Math.ceil(timeShare * (totalSteps - warmupSteps));
      return cosine.learningRateAt(Math.max(step, stepByTime));
    },
  };
}

/** Steps of one epoch: each length bucket's sequences in batches, the last one partial. */
function trainingPlanOf(
  sequences: readonly InteractionSequence[],
  maxLength: number,
  windowLengths: readonly number[],
  batchSize: number,
): TrainingPlan {
  // A window has at most maxLength inputs, and so at most maxLength targets.
  const targets = sequences.reduce(
    (sum, sequence) => sum + Math.min(sequence.items.length - 1, maxLength),
    0,
  );
  return {
    windows: sequences.length,
    targets,
    stepsPerEpoch: plannedStepsPerEpoch(sequences, windowLengths, batchSize),
  };
}

function plannedStepsPerEpoch(
  sequences: readonly InteractionSequence[],
  windowLengths: readonly number[],
  batchSize: number,
): number {
  const counts = new Map<number, number>();
  for (const sequence of sequences) {
    const windowLength = windowOf(sequence, windowLengths);
    counts.set(windowLength, (counts.get(windowLength) ?? 0) + 1);
  }
  let steps = 0;
  counts.forEach((count) => (steps += Math.ceil(count / batchSize)));
  return steps;
}

/** Returns the shortest window that fits a sequence's inputs (all but its last item), or the longest. */
export function windowOf(sequence: InteractionSequence, windowLengths: readonly number[]): number {
  const L = windowLengths[windowLengths.length - 1];
  const inputs = Math.min(sequence.items.length - 1, L);
  return windowLengths.find((length) => length >= inputs) ?? L;
}

/** Parameters of the model; the training and the inference graph declare the same list. */
export function parameterSpecsOf(config: QFormerConfig, itemCount: number): ParameterSpec[] {
  return buildInferenceGraph(config, itemCount, 1).parameterSpecs;
}

/** Window lengths of the length buckets: all of maxLength, or also a quarter and a half. */
export function windowBuckets(maxLength: number, enabled: boolean): number[] {
  if (!enabled) {
    return [maxLength];
  }
  return [...new Set([Math.ceil(maxLength / 4), Math.ceil(maxLength / 2), maxLength])];
}

/**
 * Sequences with at least one target (2 or more interactions).
 * NOTE: SequenceDataset stores no event types, so every interaction trains as type 1.
 */
export function trainingSequences(
  train: SequenceDataset,
  maxLength: number,
  windows: HistoryWindows,
): InteractionSequence[] {
  const sequences: InteractionSequence[] = [];
  for (let user = 0; user < train.userCount; user += 1) {
    const items = train.sequence(user);
    const parts = windows === 'all' ? splitIntoWindows(items, maxLength) : [items];
    for (const part of parts) {
      if (part.length >= 2) {
        sequences.push({ items: part });
      }
    }
  }
  return sequences;
}

/**
 * Splits a sequence into windows of at most `maxLength + 1` interactions, from the newest
 * backwards. The last interaction of an older window is also the first of the next newer
 * window, where it is only an input. So each interaction after the first is a target in
 * exactly one window.
 */
export function splitIntoWindows(items: Int32Array, maxLength: number): Int32Array[] {
  const windows: Int32Array[] = [];
  for (let end = items.length; end >= 2; end -= maxLength) {
    windows.push(items.subarray(Math.max(0, end - maxLength - 1), end));
  }
  return windows;
}

async function validationMetrics(
  forward: QFormerForward,
  parameters: readonly ParameterTensor[],
  validation: EvaluationSet,
  itemCounts: Int32Array,
  options: TrainerOptions,
): Promise<{ ndcg: number; hitRate: number }> {
  const report = await evaluateRanking(
    (histories) => forward.score(histories, parameters),
    validation,
    itemCounts.length - 1,
    { itemPopularity: itemCounts, k: 10, batchSize: options.validationBatchSize },
  );
  return { ndcg: report.full.ndcg, hitRate: report.full.hitRate };
}

/**
 * Counts the epochs still to run after `epoch` of `epochs`. A time budget (`maxSeconds`) stops
 * training after the first epoch that ends past it, estimated at the mean epoch time so far.
 */
export function remainingEpochs(
  epoch: number,
  epochs: number,
  elapsedSeconds: number,
  maxSeconds?: number,
): number {
  const planned = epochs - epoch;
  if (maxSeconds === undefined) {
    return planned;
  }
  const secondsLeft = maxSeconds - elapsedSeconds;
  const perEpoch = elapsedSeconds / epoch;
  return secondsLeft <= 0 ? 0 : Math.min(planned, Math.ceil(secondsLeft / perEpoch));
}

/**
 * Exponential moving average of the weights. The decay of step n is at most (1 + n) / (10 + n),
 * so that the average follows the weights closely during the first steps.
 */
export class WeightAverage {
  readonly parameters: ParameterTensor[];
  private steps = 0;

  constructor(
    weights: readonly ParameterTensor[],
    private readonly decay: number,
  ) {
    this.parameters = cloneParameters(weights);
  }

  update(weights: readonly ParameterTensor[]): void {
    this.steps += 1;
    const decay = Math.min(this.decay, (1 + this.steps) / (10 + this.steps));
    weights.forEach((weight, index) => {
      const average = this.parameters[index].data;
      const current = weight.data;
      for (let i = 0; i < average.length; i += 1) {
        average[i] = decay * average[i] + (1 - decay) * current[i];
      }
    });
  }
}

interface PlannedBatch {
  windowLength: number;
  sequences: InteractionSequence[];
}

/** Runs epochs, tracks the best epoch and decides when to stop. */
class EpochLoop {
  private readonly started = performance.now();
  private readonly summaries: EpochSummary[] = [];
  private best: { epoch: number; ndcg: number; parameters: ParameterTensor[] } | undefined;

  constructor(
    private readonly options: TrainerOptions,
    private readonly windowLengths: readonly number[],
    private readonly step: QFormerTrainingStep,
    private readonly builder: TrainingBatchBuilder,
    private readonly rng: Rng,
    private readonly average?: WeightAverage,
  ) {}

  async run(
    sequences: InteractionSequence[],
    parameters: ParameterTensor[],
    validate: () => Promise<{ ndcg: number; hitRate: number }>,
  ): Promise<TrainingResult> {
    let stopReason: TrainingResult['stopReason'] = 'epochs';
    for (let epoch = 1; epoch <= this.options.epochs; epoch += 1) {
      const epochStarted = performance.now();
      const loss = await this.trainEpoch(epoch, sequences);
      const trainSeconds = (performance.now() - epochStarted) / 1000;
      const metrics = await validate();
      const summary = this.summarise(epoch, loss, metrics, trainSeconds, sequences.length);
      this.keepBest(summary, parameters, metrics.ndcg);
      this.summaries.push(summary);
      this.options.onEpoch?.(summary);

      if (this.best !== undefined && epoch - this.best.epoch >= this.options.patience) {
        stopReason = 'patience';
        break;
      }
      if (this.options.maxSeconds !== undefined && this.elapsed() >= this.options.maxSeconds) {
        stopReason = epoch < this.options.epochs ? 'time' : 'epochs';
        break;
      }
    }
    const best = this.best;
    return {
      parameters: best === undefined ? cloneParameters(parameters) : best.parameters,
      bestEpoch: best?.epoch ?? this.summaries.length,
      epochs: this.summaries,
      stopReason,
    };
  }

  private async trainEpoch(epoch: number, sequences: InteractionSequence[]): Promise<number> {
    const batches = this.planBatches(sequences);
    let lossSum = 0;
    let targetSum = 0;
    for (const [index, planned] of batches.entries()) {
      const batch = this.builder.build(planned.sequences, this.rng, planned.windowLength);
      const outcome = await this.step.run(batch);
      this.average?.update(this.step.parameters);
      lossSum += outcome.loss * batch.targetCount;
      targetSum += batch.targetCount;
      this.options.onStep?.({
        epoch,
        step: index + 1,
        stepsPerEpoch: batches.length,
        loss: outcome.loss,
      });
    }
    return lossSum / Math.max(targetSum, 1);
  }

  /**
   * Splits the sequences, in a fresh random order, into batches of one window length each:
   * the shortest window that fits a sequence's inputs. The batches run in random order.
   */
  private planBatches(sequences: InteractionSequence[]): PlannedBatch[] {
    const open = new Map<number, InteractionSequence[]>(
      this.windowLengths.map((windowLength) => [windowLength, []]),
    );
    const batches: PlannedBatch[] = [];
    for (const position of permutation(this.rng, sequences.length)) {
      const sequence = sequences[position];
      const windowLength = windowOf(sequence, this.windowLengths);
      const members = open.get(windowLength) as InteractionSequence[];
      members.push(sequence);
      if (members.length === this.options.batchSize) {
        batches.push({ windowLength, sequences: members.splice(0) });
      }
    }
    for (const [windowLength, members] of open) {
      if (members.length > 0) {
        batches.push({ windowLength, sequences: members });
      }
    }
    const order = permutation(this.rng, batches.length);
    return Array.from(order, (index) => batches[index]);
  }

  private keepBest(summary: EpochSummary, parameters: ParameterTensor[], ndcg: number): void {
    const improved = Number.isNaN(ndcg) || this.best === undefined || ndcg > this.best.ndcg;
    if (improved) {
      this.best = { epoch: summary.epoch, ndcg, parameters: cloneParameters(parameters) };
      summary.best = true;
    }
  }

  private summarise(
    epoch: number,
    loss: number,
    metrics: { ndcg: number; hitRate: number },
    trainSeconds: number,
    sequenceCount: number,
  ): EpochSummary {
    const elapsedSeconds = this.elapsed();
    const perEpoch = elapsedSeconds / epoch;
    const etaSeconds =
      perEpoch *
      remainingEpochs(epoch, this.options.epochs, elapsedSeconds, this.options.maxSeconds);
    return {
      epoch,
      loss,
      validationNdcg10: metrics.ndcg,
      validationHitRate10: metrics.hitRate,
      sequencesPerSecond: sequenceCount / trainSeconds,
      trainSeconds,
      elapsedSeconds,
      etaSeconds,
      best: false,
    };
  }

  private elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }
}
