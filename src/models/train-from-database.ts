import type { DataSource } from 'typeorm';
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { PostgresSequenceSource } from '../model/data/postgres-sequence-source';
import { SequenceDataset, SequenceDatasetBuilder } from '../model/data/sequence-dataset';
import { EvaluationSet, leaveOneOutSplit } from '../model/data/split';
import { createRng, permutation } from '../model/engine/random';
import { QFormerConfig, resolveConfig } from '../model/qformer/config';
import { SavedModelContents } from '../model/qformer/model-store';
import {
  DEFAULT_TRAINER_OPTIONS,
  EpochSummary,
  StepProgress,
  TrainerOptions,
  TrainingResult,
  trainQFormer,
} from '../model/qformer/trainer';

/** K of the exported top-K output when the caller sets none. */
export const DEFAULT_TOP_K = 100;

export interface TrainFromDatabaseOptions {
  model?: Partial<QFormerConfig>;
  trainer?: Partial<TrainerOptions>;
  /** Fixed K of the exported top-K output; default 100, lowered to the item count. */
  topK?: number;
  /** Latest `occurred_at` to train on; default: now. */
  cutoff?: Date;
  /** Aborts reading or training; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  onEpoch?: (summary: EpochSummary) => void;
  onStep?: (progress: StepProgress) => void;
  /** Validation users drawn at random (seeded by the trainer seed); default: all of them. */
  validationUsers?: number;
}

export interface TrainFromDatabaseResult {
  contents: SavedModelContents;
  /** Event types of the training data, sorted. */
  eventTypes: string[];
  dataCutoff: Date;
  result: TrainingResult;
  /** Users whose held-out next item scored the model, encoded with its vocabulary. */
  validation: EvaluationSet;
}

/** Item ids, event types and counts of the interactions up to the cut-off. */
interface DataSummary {
  itemIds: Set<string>;
  eventTypes: Set<string>;
  users: number;
  interactions: number;
}

/**
 * Trains the Q-Former on the `interactions` table up to a cut-off, without registering the
 * result. Interactions stream through `PostgresSequenceSource` twice (item ids, then
 * encoding) within one snapshot. Each user's last two interactions are held out as in
 * `leaveOneOutSplit`, and the second-to-last is the validation target.
 */
export async function trainFromDatabase(
  dataSource: DataSource,
  options: TrainFromDatabaseOptions = {},
): Promise<TrainFromDatabaseResult> {
  const config = resolveConfig(options.model);
  const trainer: Partial<TrainerOptions> = { ...options.trainer };
  const seed = trainer.seed ?? DEFAULT_TRAINER_OPTIONS.seed;
  options.signal?.throwIfAborted();

  const source = await PostgresSequenceSource.open(dataSource, { cutoff: options.cutoff });
  let summary: DataSummary;
  let vocabulary: ItemVocabulary;
  let dataset: SequenceDataset;
  try {
    summary = await summariseSource(source);
    if (summary.itemIds.size === 0) {
      throw new Error(
        `no interactions occurred at or before ${source.cutoff.toISOString()}; import or ` +
          'log interactions first',
      );
    }
    options.signal?.throwIfAborted();
    vocabulary = ItemVocabulary.fromItemIds(summary.itemIds);
    dataset = await SequenceDataset.fromSource(source, vocabulary);
  } finally {
    await source.close();
  }

  const split = leaveOneOutSplit(dataset);
  const validation = sampleEvaluationUsers(split.validation, options.validationUsers, seed);
  const started = performance.now();
  const result = await trainQFormer(
    config,
    // The trainer reports NaN metrics without validation users, as with fewer than 3
    // interactions per user or `validationUsers: 0`.
    {
      vocabulary,
      train: split.train,
      validation: validation.targets.length > 0 ? validation : undefined,
    },
    {
      ...trainer,
      onEpoch: options.onEpoch,
      onStep: (progress) => {
        options.signal?.throwIfAborted();
        options.onStep?.(progress);
      },
    },
  );
  const trainingSeconds = (performance.now() - started) / 1000;

  const best = result.epochs.find((epoch) => epoch.epoch === result.bestEpoch);
  const metrics = {
    validation: {
      ndcg10: best?.validationNdcg10 ?? null,
      hitRate10: best?.validationHitRate10 ?? null,
      users: validation.targets.length,
    },
    data: {
      cutoff: source.cutoff.toISOString(),
      users: summary.users,
      interactions: summary.interactions,
      items: vocabulary.size,
      trainingInteractions: split.train.interactionCount,
    },
    trainer,
    bestEpoch: result.bestEpoch,
    stopReason: result.stopReason,
    trainingSeconds,
    epochs: result.epochs,
  };
  return {
    contents: {
      config,
      vocabulary,
      parameters: result.parameters,
      topK: Math.min(options.topK ?? DEFAULT_TOP_K, vocabulary.size),
      metrics,
    },
    eventTypes: [...summary.eventTypes].sort(),
    dataCutoff: source.cutoff,
    result,
    validation,
  };
}

async function summariseSource(source: PostgresSequenceSource): Promise<DataSummary> {
  const summary: DataSummary = {
    itemIds: new Set(),
    eventTypes: new Set(),
    users: 0,
    interactions: 0,
  };
  for await (const sequence of source.sequences()) {
    summary.users += 1;
    summary.interactions += sequence.itemIds.length;
    for (const itemId of sequence.itemIds) {
      summary.itemIds.add(itemId);
    }
    for (const eventType of sequence.eventTypes ?? []) {
      summary.eventTypes.add(eventType);
    }
  }
  return summary;
}

/** Keeps `count` users of an evaluation set, drawn at random in their original order. */
export function sampleEvaluationUsers(
  set: EvaluationSet,
  count: number | undefined,
  seed: number,
): EvaluationSet {
  const userCount = set.targets.length;
  if (count === undefined || count >= userCount) {
    return set;
  }
  const chosen = permutation(createRng(seed).fork('validation-users'), userCount)
    .slice(0, count)
    .sort();
  const histories = new SequenceDatasetBuilder();
  const targets = new Int32Array(chosen.length);
  chosen.forEach((user, position) => {
    histories.add(set.histories.userId(user), set.histories.sequence(user));
    targets[position] = set.targets[user];
  });
  return { histories: histories.build(), targets };
}
