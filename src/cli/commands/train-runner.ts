import { SingleBar } from 'cli-progress';
import {
  DataFormat,
  detectDataFormat,
  LoadedData,
  loadDataFolder,
} from '../../model/data/data-folder';
import { QFormerConfig, resolveConfig } from '../../model/qformer/config';
import { saveModel } from '../../model/qformer/model-store';
import { holdoutSplit, usersOfEvaluationSet, EvaluationSet } from '../../model/data/split';
import { createRng } from '../../model/engine/random';
import { FullRankingMetrics } from '../../model/eval/ranking-evaluation';
import {
  DEFAULT_TRAINER_OPTIONS,
  EpochSummary,
  evaluateParameters,
  TrainerOptions,
  TrainingData,
  TrainingPlan,
  TrainingResult,
  trainQFormer,
} from '../../model/qformer/trainer';

// Kept apart from the commander wiring in train.ts, because Jest cannot load commander 15
// (an ES module) under Node 20, so specs can test this file directly.

export interface TrainCommandOptions {
  data: string;
  format?: DataFormat;
  out: string;
  model: Partial<QFormerConfig>;
  trainer: Partial<TrainerOptions>;
  /** Fixed K of the exported model's top-K output. */
  topK: number;
  /** Intra-op threads of ONNX Runtime; 0 lets it choose. */
  threads: number;
  /** Shows a progress bar on stderr when it is a terminal. */
  progress: boolean;
  /**
   * For a folder with its own validation files: users whose last training item is held out for
   * early stopping and model selection (default `DEFAULT_HOLDOUT_USERS`).
   */
  holdoutUsers?: number;
  /** Seed of the held-out user draw (default: the trainer seed). */
  holdoutSeed?: number;
}

export const DEFAULT_HOLDOUT_USERS = 1000;

export interface TrainCommandResult extends TrainingResult {
  /** The folder's validation users ranked once with the chosen weights (own validation files). */
  validation?: FullRankingMetrics;
}

/** Selection users of a training run, and the users reported once after it. */
interface SelectionPlan {
  data: TrainingData;
  /** `holdout` (last training items of sampled users) or `validation` (leave-one-out). */
  label: 'holdout' | 'val';
  /** The folder's validation users, ranked only once with the chosen weights. */
  report?: EvaluationSet;
}

/**
 * Chooses the items that select the best epoch. For a folder with its own validation files,
 * training selects on held-out last training items of users outside the validation set, and
 * the validation targets are read only for the final report. For a leave-one-out split,
 * training selects on its validation items, and `qrec evaluate` reports the test items.
 */
export function selectionPlan(data: LoadedData, holdoutUsers: number, seed: number): SelectionPlan {
  if (data.test !== undefined) {
    return {
      data: { vocabulary: data.vocabulary, train: data.train, validation: data.validation },
      label: 'val',
    };
  }
  const random = createRng(seed).fork('holdout');
  const split = holdoutSplit(
    data.train,
    holdoutUsers,
    () => random.next(),
    usersOfEvaluationSet(data.train, data.validation),
  );
  return {
    data: { vocabulary: data.vocabulary, train: split.train, validation: split.holdout },
    label: 'holdout',
    report: data.validation,
  };
}

/** Loads the data, trains the model, saves it to `options.out` and returns the result. */
export async function runTrain(options: TrainCommandOptions): Promise<TrainCommandResult> {
  const config = resolveConfig(options.model);
  const format = options.format ?? (await detectDataFormat(options.data));
  logLine(`loading ${options.data} as ${format}`);
  const data = await loadDataFolder(options.data, format);
  logLine(describeData(data));
  logLine(`model: ${JSON.stringify(config)}`);
  logLine(`trainer: ${JSON.stringify({ ...options.trainer, threads: options.threads })}`);
  const holdoutSeed = options.holdoutSeed ?? options.trainer.seed ?? DEFAULT_TRAINER_OPTIONS.seed;
  const plan = selectionPlan(data, options.holdoutUsers ?? DEFAULT_HOLDOUT_USERS, holdoutSeed);
  if (plan.label === 'holdout') {
    logLine(
      `selection: last training item of ${plan.data.validation?.targets.length} held-out users ` +
        `(not validation users); validation targets are read only for the final report`,
    );
  }

  const started = performance.now();
  const progress = new EpochProgress(options.progress && process.stderr.isTTY === true);
  const trainer: Partial<TrainerOptions> = {
    ...options.trainer,
    sessionOptions: { intraOpNumThreads: options.threads },
    onStart: (epochPlan) => logLine(formatTrainingPlan(epochPlan, options.trainer)),
    onStep: (step) => progress.update(step.epoch, step.step, step.stepsPerEpoch, step.loss),
    onEpoch: (summary) => {
      progress.stop();
      logLine(formatEpoch(summary, options.trainer.epochs, plan.label));
    },
  };
  const result = await trainQFormer(config, plan.data, trainer);
  progress.stop();
  const trainingSeconds = (performance.now() - started) / 1000;
  const validation =
    plan.report === undefined
      ? undefined
      : await evaluateParameters(
          config,
          result.parameters,
          plan.report,
          data.train.itemCounts(data.vocabulary.size),
          trainer.sessionOptions,
        );

  const best = result.epochs.find((summary) => summary.epoch === result.bestEpoch);
  await saveModel(options.out, {
    config,
    vocabulary: data.vocabulary,
    parameters: result.parameters,
    topK: options.topK,
    metrics: {
      data: { folder: options.data, format, ...dataCounts(data) },
      trainer: { ...options.trainer, threads: options.threads },
      selection: {
        kind: plan.label === 'holdout' ? 'holdout' : 'leave-one-out validation',
        users: plan.data.validation?.targets.length ?? 0,
        ...(plan.label === 'holdout' ? { seed: holdoutSeed } : {}),
      },
      validation,
      bestEpoch: result.bestEpoch,
      stopReason: result.stopReason,
      trainingSeconds,
      best,
      epochs: result.epochs,
    },
  });
  logLine(
    `saved ${options.out}: best epoch ${result.bestEpoch} of ${result.epochs.length} ` +
      `(stopped by ${result.stopReason}), ${plan.label} NDCG@10 ` +
      `${formatMetric(best?.validationNdcg10)}, HR@10 ${formatMetric(best?.validationHitRate10)}, ` +
      `${formatDuration(trainingSeconds)}`,
  );
  if (validation !== undefined) {
    logLine(
      `validation users (${plan.report?.targets.length}, read once, after training): ` +
        `NDCG@10 ${formatMetric(validation.ndcg)}, HR@10 ${formatMetric(validation.hitRate)}, ` +
        `MRR ${formatMetric(validation.mrr)}`,
    );
  }
  return { ...result, validation };
}

function dataCounts(data: LoadedData): Record<string, number> {
  return {
    items: data.vocabulary.size,
    trainingUsers: data.train.userCount,
    trainingInteractions: data.train.interactionCount,
    validationUsers: data.validation.targets.length,
  };
}

function describeData(data: LoadedData): string {
  const counts = dataCounts(data);
  return (
    `data: ${counts.items} items, ${counts.trainingUsers} training users, ` +
    `${counts.trainingInteractions} interactions, ${counts.validationUsers} validation users`
  );
}

/** Formats the size of an epoch: windows, targets and steps. */
export function formatTrainingPlan(plan: TrainingPlan, trainer: Partial<TrainerOptions>): string {
  const windows = trainer.historyWindows ?? DEFAULT_TRAINER_OPTIONS.historyWindows;
  const batchSize = trainer.batchSize ?? DEFAULT_TRAINER_OPTIONS.batchSize;
  return (
    `each epoch: ${plan.windows} training windows (history windows: ${windows}), ` +
    `${plan.targets} targets, ${plan.stepsPerEpoch} steps of up to ${batchSize} windows`
  );
}

/** Formats an epoch's log line: loss, validation metrics, throughput, elapsed time and ETA. */
export function formatEpoch(
  summary: EpochSummary,
  maxEpochs: number | undefined,
  label = 'val',
): string {
  const epoch = maxEpochs === undefined ? `${summary.epoch}` : `${summary.epoch}/${maxEpochs}`;
  return [
    `epoch ${epoch}`,
    `loss ${summary.loss.toFixed(4)}`,
    `${label} NDCG@10 ${formatMetric(summary.validationNdcg10)} HR@10 ${formatMetric(summary.validationHitRate10)}`,
    `${summary.sequencesPerSecond.toFixed(1)} seq/s`,
    `elapsed ${formatDuration(summary.elapsedSeconds)}`,
    `ETA ${formatDuration(summary.etaSeconds)}`,
    ...(summary.best ? ['best'] : []),
  ].join(' | ');
}

export function formatMetric(value: number | null | undefined): string {
  return value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(4);
}

export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const mm = String(minutes).padStart(hours > 0 ? 2 : 1, '0');
  const ss = String(rest).padStart(2, '0');
  return hours > 0 ? `${hours}h${mm}m${ss}s` : `${mm}m${ss}s`;
}

/** Progress bar of the current epoch's steps on stderr; does nothing when disabled. */
export class EpochProgress {
  private bar: SingleBar | undefined;

  constructor(private readonly enabled: boolean) {}

  update(epoch: number, step: number, total: number, loss: number): void {
    if (!this.enabled) {
      return;
    }
    if (this.bar === undefined) {
      this.bar = new SingleBar({
        format: `epoch ${epoch} [{bar}] {value}/{total} steps | loss {loss} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      });
      this.bar.start(total, 0, { loss: 'n/a' });
    }
    this.bar.update(step, { loss: loss.toFixed(4) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** Progress and logs go to stderr, so stdout stays free for machine-readable output. */
function logLine(message: string): void {
  console.error(`qrec train: ${message}`);
}
