import type { DataSource } from 'typeorm';
import { QFormerConfig, resolveConfig } from '../../model/qformer/config';
import { TrainerOptions } from '../../model/qformer/trainer';
import { ModelRegistry, ModelVersionSummary } from '../../models/model-registry';
import { trainFromDatabase } from '../../models/train-from-database';
import {
  EpochProgress,
  formatDuration,
  formatEpoch,
  formatMetric,
  formatTrainingPlan,
} from './train-runner';

// Kept apart from the commander wiring in train.ts, like train-runner.ts.

export interface TrainFromDatabaseCommandOptions {
  model: Partial<QFormerConfig>;
  trainer: Partial<TrainerOptions>;
  topK: number;
  /** Intra-op threads of ONNX Runtime; 0 lets it choose. */
  threads: number;
  progress: boolean;
  /** Latest interaction time to train on; default: now. */
  cutoff?: Date;
  /** Validation users drawn at random; default: every user with 3 or more interactions. */
  validationUsers?: number;
  /** Makes the new version the active one after registering it. */
  activate: boolean;
}

/**
 * Trains on the service database's interactions, registers the model as a new version and,
 * with `activate`, activates it. Prints the version id on stdout and progress on stderr.
 */
export async function runTrainFromDatabase(
  dataSource: DataSource,
  options: TrainFromDatabaseCommandOptions,
): Promise<ModelVersionSummary> {
  const config = resolveConfig(options.model);
  logLine(`model: ${JSON.stringify(config)}`);
  const progress = new EpochProgress(options.progress && process.stderr.isTTY === true);
  const started = performance.now();
  const trained = await trainFromDatabase(dataSource, {
    model: config,
    trainer: { ...options.trainer, sessionOptions: { intraOpNumThreads: options.threads } },
    topK: options.topK,
    cutoff: options.cutoff,
    validationUsers: options.validationUsers,
    onStart: (plan) => logLine(formatTrainingPlan(plan, options.trainer)),
    onStep: (step) => progress.update(step.epoch, step.step, step.stepsPerEpoch, step.loss),
    onEpoch: (summary) => {
      progress.stop();
      logLine(formatEpoch(summary, options.trainer.epochs));
    },
  });
  progress.stop();
  const seconds = (performance.now() - started) / 1000;

  const registry = new ModelRegistry(dataSource);
  let version = await registry.register({
    contents: trained.contents,
    eventTypes: trained.eventTypes,
    dataCutoff: trained.dataCutoff,
    status: 'registered',
  });
  const best = trained.result.epochs.find((epoch) => epoch.epoch === trained.result.bestEpoch);
  console.log(
    `Registered model version ${version.id}: ${version.itemCount} items, data up to ` +
      `${trained.dataCutoff.toISOString()}, best epoch ${trained.result.bestEpoch} of ` +
      `${trained.result.epochs.length} (stopped by ${trained.result.stopReason}), validation NDCG@10 ` +
      `${formatMetric(best?.validationNdcg10)} on ${trained.validation.targets.length} users, ` +
      `${formatDuration(seconds)}`,
  );
  if (options.activate) {
    version = await registry.activate(version.id);
    console.log(`Activated model version ${version.id}`);
  }
  return version;
}

function logLine(message: string): void {
  console.error(`qrec train: ${message}`);
}
