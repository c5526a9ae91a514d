import { SingleBar } from 'cli-progress';
import {
  DataFormat,
  detectDataFormat,
  LoadedData,
  loadDataFolder,
} from '../../model/data/data-folder';
import { QFormerConfig, resolveConfig } from '../../model/qformer/config';
import { saveModel } from '../../model/qformer/model-store';
import {
  EpochSummary,
  TrainerOptions,
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
}

/** Loads the data, trains the model, saves it to `options.out` and returns the result. */
export async function runTrain(options: TrainCommandOptions): Promise<TrainingResult> {
  const config = resolveConfig(options.model);
  const format = options.format ?? (await detectDataFormat(options.data));
  logLine(`loading ${options.data} as ${format}`);
  const data = await loadDataFolder(options.data, format);
  logLine(describeData(data));
  logLine(`model: ${JSON.stringify(config)}`);

  const started = performance.now();
  const progress = new EpochProgress(options.progress && process.stderr.isTTY === true);
  const trainer: Partial<TrainerOptions> = {
    ...options.trainer,
    sessionOptions: { intraOpNumThreads: options.threads },
    onStep: (step) => progress.update(step.epoch, step.step, step.stepsPerEpoch, step.loss),
    onEpoch: (summary) => {
      progress.stop();
      logLine(formatEpoch(summary, options.trainer.epochs));
    },
  };
  const result = await trainQFormer(config, data, trainer);
  progress.stop();
  const trainingSeconds = (performance.now() - started) / 1000;

  const best = result.epochs.find((summary) => summary.epoch === result.bestEpoch);
  await saveModel(options.out, {
    config,
    vocabulary: data.vocabulary,
    parameters: result.parameters,
    topK: options.topK,
    metrics: {
      data: { folder: options.data, format, ...dataCounts(data) },
      trainer: { ...options.trainer, threads: options.threads },
      bestEpoch: result.bestEpoch,
      stopReason: result.stopReason,
      trainingSeconds,
      best,
      epochs: result.epochs,
    },
  });
  logLine(
    `saved ${options.out}: best epoch ${result.bestEpoch} of ${result.epochs.length} ` +
      `(stopped by ${result.stopReason}), validation NDCG@10 ` +
      `${formatMetric(best?.validationNdcg10)}, HR@10 ${formatMetric(best?.validationHitRate10)}, ` +
      `${formatDuration(trainingSeconds)}`,
  );
  return result;
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

/** Formats an epoch's log line: loss, validation metrics, throughput, elapsed time and ETA. */
export function formatEpoch(summary: EpochSummary, maxEpochs: number | undefined): string {
  const epoch = maxEpochs === undefined ? `${summary.epoch}` : `${summary.epoch}/${maxEpochs}`;
  return [
    `epoch ${epoch}`,
    `loss ${summary.loss.toFixed(4)}`,
    `val NDCG@10 ${formatMetric(summary.validationNdcg10)} HR@10 ${formatMetric(summary.validationHitRate10)}`,
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
