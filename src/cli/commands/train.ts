import { Command, InvalidArgumentError, Option } from 'commander';
import { DATA_FORMATS, DataFormat } from '../../model/data/data-folder';
import { OptimizerError } from '../../model/engine/optim/errors';
import {
  DEFAULT_QFORMER_CONFIG,
  InterestAggregation,
  InterestSelection,
  QFormerConfig,
  QFormerConfigError,
  Readout,
  resolveConfig,
} from '../../model/qformer/config';
import {
  DEFAULT_TRAINER_OPTIONS,
  HISTORY_WINDOWS,
  type HistoryWindows,
  LEARNING_RATE_SCHEDULES,
  LearningRateScheduleKind,
  resolveTrainerOptions,
  TrainerOptions,
} from '../../model/qformer/trainer';
import { parseIsoTimestamp } from '../../common/validation/iso-timestamp';
import { loadConfig } from '../../config/app-config';
import { DEFAULT_VALIDATION_USERS } from '../../models/train-from-database';
import { ensureSchema, withDatabase, withDataSource } from '../cli-database';
import { runTrainFromDatabase } from './train-database-runner';
import { DEFAULT_HOLDOUT_USERS, runTrain } from './train-runner';

interface TrainFlags {
  data?: string;
  fromDb: boolean;
  activate: boolean;
  cutoff?: Date;
  validationUsers?: number;
  format?: DataFormat;
  out: string;
  dim: number;
  maxLength: number;
  encoderBlocks: number;
  queries: number;
  qformerBlocks: number;
  heads: number;
  ffnDim: number;
  gatedFfn: boolean;
  dropout: number;
  itemDropout: number;
  qformerDropout: number;
  relativePositionBias: boolean;
  /** Unset unless --encoder-position-bias or --no-encoder-position-bias is given. */
  encoderPositionBias?: boolean;
  slotConditioning: boolean;
  /** Unset unless --scale-item-embeddings or --no-scale-item-embeddings is given. */
  scaleItemEmbeddings?: boolean;
  /** Unset unless --mask-history-items or --no-mask-history-items is given. */
  maskHistoryItems?: boolean;
  readout: Readout;
  aggregation: InterestAggregation;
  temperature: number;
  interestSelection: InterestSelection;
  fullSoftmaxMaxItems: number;
  negatives: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  lrSchedule: LearningRateScheduleKind;
  minLearningRate: number;
  weightDecay: number;
  maxGradNorm: number;
  emaDecay: number;
  patience: number;
  seed: number;
  maxMinutes?: number;
  lengthBuckets: boolean;
  historyWindows: HistoryWindows;
  threads: number;
  topK: number;
  progress: boolean;
  holdoutUsers: number;
  holdoutSeed?: number;
}

/**
 * Adds `qrec train`, which trains the Q-Former recommender on a data folder and saves a model
 * directory, or on the service database and registers a model version.
 */
export function registerTrainCommand(program: Command): void {
  const model = DEFAULT_QFORMER_CONFIG;
  const trainer = DEFAULT_TRAINER_OPTIONS;
  program
    .command('train')
    .description(
      'Train the Q-Former sequential recommender and stop early on the NDCG@10 of held-out ' +
        'interactions. ' +
        'With --data, save the best epoch as a model directory (ONNX model, item ids, ' +
        'configuration, metrics); with --from-db, train on the interactions in the service ' +
        'database and register the best epoch as a model version',
    )
    .option('--data <folder>', 'data folder to read')
    .option('--from-db', 'train on the service database (DATABASE_URL or the embedded one)', false)
    .option('--activate', 'with --from-db: activate the registered version', false)
    .option(
      '--cutoff <time>',
      'with --from-db: latest interaction time to train on, ISO 8601 with a time zone (default: now)',
      isoTime,
    )
    .option(
      '--validation-users <n>',
      `with --from-db: users whose last interaction is held out for validation, drawn at random from those with 2+ interactions (default: ${DEFAULT_VALIDATION_USERS})`,
      integer(1),
    )
    .addOption(
      new Option(
        '--format <format>',
        'layout of the data folder (detected from its files when omitted)',
      ).choices(DATA_FORMATS),
    )
    .option(
      '--out <dir>',
      'with --data: model directory to write (replaced if it exists)',
      'qformer-model',
    )
    .option('--dim <n>', 'embedding and attention width d', integer(1), model.dim)
    .option('--max-length <n>', 'interactions per history window L', integer(1), model.maxLength)
    .option('--encoder-blocks <n>', 'causal self-attention blocks', integer(0), model.encoderBlocks)
    .option('--queries <n>', 'learned queries m (interests per user)', integer(1), model.queryCount)
    .option('--qformer-blocks <n>', 'Q-Former blocks', integer(1), model.qformerBlocks)
    .option('--heads <n>', 'attention heads (must divide --dim)', integer(1), model.heads)
    .option('--ffn-dim <n>', 'feed-forward hidden width', integer(1), model.feedForwardDim)
    .option(
      '--gated-ffn',
      'use GEGLU feed-forward layers (a GELU gate on a second projection) in the encoder and the Q-Former',
      false,
    )
    .option('--dropout <ratio>', 'dropout ratio in [0, 1)', decimal, model.dropout)
    .option(
      '--item-dropout <ratio>',
      'ratio in [0, 1) of history items replaced by a mask item in each training window',
      unitInterval,
      model.itemDropout,
    )
    .option(
      '--qformer-dropout <ratio>',
      'dropout ratio in [0, 1) in the Q-Former blocks',
      unitInterval,
      model.qformerDropout,
    )
    .option('--no-relative-position-bias', 'drop the cross-attention bias indexed by recency')
    .option(
      '--encoder-position-bias',
      'add a learned bias indexed by recency to the encoder self-attention ' +
        `(default: ${model.encoderPositionBias})`,
    )
    .option('--no-encoder-position-bias', 'leave the encoder self-attention without that bias')
    .option(
      '--no-slot-conditioning',
      "start every slot from the bare queries instead of queries plus that slot's encoder state",
    )
    .option(
      '--scale-item-embeddings',
      'multiply the input item embeddings by sqrt(dim) before adding position embeddings ' +
        `(default: ${model.scaleItemEmbeddings})`,
    )
    .option('--no-scale-item-embeddings', 'add the input item embeddings unscaled')
    .option(
      '--mask-history-items',
      "full softmax only: leave the items earlier in a target's window out of its softmax " +
        `(default: ${model.maskHistoryItems})`,
    )
    .option('--no-mask-history-items', "keep a window's earlier items in every softmax")
    .addOption(
      new Option('--readout <kind>', 'qformer, or last for a SASRec-style last-slot readout')
        .choices(['qformer', 'last'])
        .default(model.readout),
    )
    .addOption(
      new Option('--aggregation <kind>', 'combine interest scores by max or logsumexp')
        .choices(['max', 'logsumexp'])
        .default(model.aggregation),
    )
    .addOption(
      new Option(
        '--interest-selection <kind>',
        'interests the training loss scores: target (the one closest to the target item) or all',
      )
        .choices(['target', 'all'])
        .default(model.interestSelection),
    )
    .option(
      '--temperature <t>',
      'log-sum-exp temperature',
      positiveDecimal,
      model.aggregationTemperature,
    )
    .option(
      '--full-softmax-max-items <n>',
      'largest catalogue trained with the full softmax; larger ones use sampled softmax',
      integer(1),
      model.fullSoftmaxMaxItems,
    )
    .option(
      '--negatives <n>',
      'shared negatives per sampled-softmax step',
      integer(1),
      model.sampledNegatives,
    )
    .option('--epochs <n>', 'maximum epochs', integer(1), trainer.epochs)
    .option('--batch-size <n>', 'sequences per step', integer(1), trainer.batchSize)
    .option(
      '--learning-rate <lr>',
      'peak AdamW learning rate',
      positiveDecimal,
      trainer.learningRate,
    )
    .option('--warmup-steps <n>', 'linear warm-up steps', integer(0), trainer.warmupSteps)
    .addOption(
      new Option(
        '--lr-schedule <kind>',
        'learning rate after the warm-up: constant, or cosine decay over --epochs or --max-minutes, whichever ends first',
      )
        .choices(LEARNING_RATE_SCHEDULES)
        .default(trainer.learningRateSchedule),
    )
    .option(
      '--min-learning-rate <lr>',
      'final learning rate of the cosine schedule',
      decimal,
      trainer.minLearningRate,
    )
    .option('--weight-decay <w>', 'AdamW decoupled weight decay', decimal, trainer.weightDecay)
    .option('--max-grad-norm <n>', 'gradient clipping norm', positiveDecimal, trainer.maxGradNorm)
    .option(
      '--ema-decay <x>',
      'decay in [0, 1) of a moving average of the weights that validation and the saved model use; 0 turns it off',
      unitInterval,
      trainer.emaDecay,
    )
    .option(
      '--patience <n>',
      'epochs without a better NDCG@10 on the held-out selection users before stopping',
      integer(1),
      trainer.patience,
    )
    .option(
      '--seed <n>',
      'seed of initialisation, batch order, negatives, dropout and, unless --holdout-seed ' +
        'is given, the held-out users',
      integer(0),
      trainer.seed,
    )
    .option(
      '--no-length-buckets',
      'train every batch with the full window instead of grouping sequences by length',
    )
    .addOption(
      new Option(
        '--history-windows <kind>',
        'training windows of a history longer than --max-length: last (the newest window only) or all (every interaction is a target)',
      )
        .choices(HISTORY_WINDOWS)
        .default(trainer.historyWindows),
    )
    .option(
      '--max-minutes <m>',
      'time budget: stop after the epoch that ends past this many minutes',
      decimal,
      (trainer.maxSeconds ?? 0) / 60,
    )
    .option(
      '--threads <n>',
      'ONNX Runtime intra-op threads (0: ONNX Runtime default)',
      integer(0),
      0,
    )
    .option(
      '--holdout-users <n>',
      'with val_input.txt/val_target.txt: users whose last training item selects the epoch; ' +
        'the validation targets are read only for the final report',
      integer(1),
      DEFAULT_HOLDOUT_USERS,
    )
    .option(
      '--holdout-seed <n>',
      'seed of the held-out user draw (default: --seed), so that runs with other seeds ' +
        'select on the same users',
      integer(0),
    )
    .option('--top-k <n>', 'K of the exported top-K output', integer(1), 100)
    .option('--no-progress', 'hide the progress bar')
    .action(async (flags: TrainFlags, command: Command) => {
      checkSourceFlags(flags);
      const model = modelConfig(flags);
      const trainer = trainerOptions(flags);
      checkOptionValues(command, model, trainer);
      if (flags.fromDb) {
        await trainFromServiceDatabase(flags, model, trainer);
        return;
      }
      await runTrain({
        data: flags.data as string,
        format: flags.format,
        out: flags.out,
        topK: flags.topK,
        threads: flags.threads,
        progress: flags.progress,
        holdoutUsers: flags.holdoutUsers,
        holdoutSeed: flags.holdoutSeed,
        model,
        trainer,
      });
    });
}

function checkSourceFlags(flags: TrainFlags): void {
  if (flags.fromDb === (flags.data !== undefined)) {
    throw new Error('pass exactly one of --data <folder> and --from-db');
  }
  if (!flags.fromDb) {
    const dbOnly = [
      flags.activate ? '--activate' : undefined,
      flags.cutoff !== undefined ? '--cutoff' : undefined,
      flags.validationUsers !== undefined ? '--validation-users' : undefined,
    ].filter((flag) => flag !== undefined);
    if (dbOnly.length > 0) {
      throw new Error(`${dbOnly.join(', ')} can be used only with --from-db`);
    }
  }
}

/** Command-line option of each model or trainer field that a value check can reject. */
const OPTION_OF_FIELD: Readonly<Record<string, string>> = {
  dim: '--dim',
  maxLength: '--max-length',
  encoderBlocks: '--encoder-blocks',
  queryCount: '--queries',
  qformerBlocks: '--qformer-blocks',
  heads: '--heads',
  feedForwardDim: '--ffn-dim',
  dropout: '--dropout',
  itemDropout: '--item-dropout',
  qformerDropout: '--qformer-dropout',
  aggregationTemperature: '--temperature',
  fullSoftmaxMaxItems: '--full-softmax-max-items',
  sampledNegatives: '--negatives',
  epochs: '--epochs',
  batchSize: '--batch-size',
  patience: '--patience',
  learningRate: '--learning-rate',
  warmupSteps: '--warmup-steps',
  minLearningRate: '--min-learning-rate',
  weightDecay: '--weight-decay',
  maxGradNorm: '--max-grad-norm',
  emaDecay: '--ema-decay',
};

/**
 * Checks the values that the model and the optimiser reject, such as heads that do not divide
 * dim, before any data is read. A rejected value is reported as commander reports an option
 * error: the option's name, then the hint to --help.
 */
function checkOptionValues(
  command: Command,
  model: Partial<QFormerConfig>,
  trainer: Partial<TrainerOptions>,
): void {
  try {
    resolveConfig(model);
    resolveTrainerOptions(trainer);
  } catch (error: unknown) {
    const field = rejectedField(error);
    const option = field === undefined ? undefined : OPTION_OF_FIELD[field];
    if (option === undefined) {
      throw error;
    }
    command.error(`error: option '${option}': ${(error as Error).message}`);
  }
}

function rejectedField(error: unknown): string | undefined {
  if (error instanceof QFormerConfigError) {
    return error.field;
  }
  return error instanceof OptimizerError ? error.option : undefined;
}

async function trainFromServiceDatabase(
  flags: TrainFlags,
  model: Partial<QFormerConfig>,
  trainer: Partial<TrainerOptions>,
): Promise<void> {
  const config = loadConfig();
  await withDatabase(config, async (url) => {
    await ensureSchema(url, config);
    await withDataSource(url, (dataSource) =>
      runTrainFromDatabase(dataSource, {
        model,
        trainer,
        topK: flags.topK,
        threads: flags.threads,
        progress: flags.progress,
        cutoff: flags.cutoff,
        validationUsers: flags.validationUsers,
        activate: flags.activate,
      }),
    );
  });
}

function modelConfig(flags: TrainFlags): Partial<QFormerConfig> {
  return {
    dim: flags.dim,
    maxLength: flags.maxLength,
    encoderBlocks: flags.encoderBlocks,
    queryCount: flags.queries,
    qformerBlocks: flags.qformerBlocks,
    heads: flags.heads,
    feedForwardDim: flags.ffnDim,
    gatedFeedForward: flags.gatedFfn,
    dropout: flags.dropout,
    itemDropout: flags.itemDropout,
    qformerDropout: flags.qformerDropout,
    relativePositionBias: flags.relativePositionBias,
    encoderPositionBias: flags.encoderPositionBias ?? DEFAULT_QFORMER_CONFIG.encoderPositionBias,
    slotConditioning: flags.slotConditioning,
    scaleItemEmbeddings: flags.scaleItemEmbeddings ?? DEFAULT_QFORMER_CONFIG.scaleItemEmbeddings,
    readout: flags.readout,
    aggregation: flags.aggregation,
    aggregationTemperature: flags.temperature,
    interestSelection: flags.interestSelection,
    fullSoftmaxMaxItems: flags.fullSoftmaxMaxItems,
    sampledNegatives: flags.negatives,
    maskHistoryItems: flags.maskHistoryItems ?? DEFAULT_QFORMER_CONFIG.maskHistoryItems,
  };
}

function trainerOptions(flags: TrainFlags): Partial<TrainerOptions> {
  return {
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    learningRate: flags.learningRate,
    warmupSteps: flags.warmupSteps,
    learningRateSchedule: flags.lrSchedule,
    minLearningRate: flags.minLearningRate,
    weightDecay: flags.weightDecay,
    maxGradNorm: flags.maxGradNorm,
    emaDecay: flags.emaDecay,
    patience: flags.patience,
    seed: flags.seed,
    lengthBuckets: flags.lengthBuckets,
    historyWindows: flags.historyWindows,
    maxSeconds: flags.maxMinutes === undefined ? undefined : flags.maxMinutes * 60,
  };
}

function integer(minimum: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < minimum) {
      throw new InvalidArgumentError(`expected an integer of at least ${minimum}, got "${value}".`);
    }
    return parsed;
  };
}

function isoTime(value: string): Date {
  const parsed = parseIsoTimestamp(value.trim());
  if (parsed === undefined) {
    throw new InvalidArgumentError(
      `expected an ISO 8601 time with a time zone, such as 2026-01-31T00:00:00Z, got "${value}".`,
    );
  }
  return parsed;
}

function positiveDecimal(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(`expected a number greater than 0, got "${value}".`);
  }
  return parsed;
}

function unitInterval(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed >= 1) {
    throw new InvalidArgumentError(`expected a number in [0, 1), got "${value}".`);
  }
  return parsed;
}

function decimal(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidArgumentError(`expected a number of at least 0, got "${value}".`);
  }
  return parsed;
}
