import type { DataSource } from 'typeorm';
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { PostgresSequenceSource } from '../model/data/postgres-sequence-source';
import { SequenceDataset, SequenceDatasetBuilder } from '../model/data/sequence-dataset';
import { EvaluationSet } from '../model/data/split';
import { createRng, permutation } from '../model/engine/random';
import { QFormerConfig, resolveConfig } from '../model/qformer/config';
import { SavedModelContents } from '../model/qformer/model-store';
import {
  DEFAULT_TRAINER_OPTIONS,
  EpochSummary,
  StepProgress,
  TrainerOptions,
  TrainingPlan,
  TrainingResult,
  trainQFormer,
} from '../model/qformer/trainer';

/** K of the exported top-K output when the caller sets none. */
export const DEFAULT_TOP_K = 100;

/** Validation users when the caller names no count (see `holdOutLastInteractions`). */
export const DEFAULT_VALIDATION_USERS = 1000;

export interface TrainFromDatabaseOptions {
  model?: Partial<QFormerConfig>;
  trainer?: Partial<TrainerOptions>;
  /** Fixed K of the exported top-K output; default 100, lowered to the item count. */
  topK?: number;
  /** Latest `occurred_at` to train on; default: now. */
  cutoff?: Date;
  /** Aborts reading or training; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  onStart?: (plan: TrainingPlan) => void;
  onEpoch?: (summary: EpochSummary) => void;
  onStep?: (progress: StepProgress) => void;
  /**
   * Number of users whose last interaction is held out for validation (default 1,000). They
   * are drawn at random, seeded by the trainer seed, among users with two or more interactions.
   */
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
 * encoding) within one snapshot. The last interaction of `validationUsers` users drawn at
 * random is held out as their validation target; every other interaction is training data.
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

  const split = holdOutLastInteractions(
    dataset,
    options.validationUsers ?? DEFAULT_VALIDATION_USERS,
    seed,
  );
  const validation = split.validation;
  const started = performance.now();
  const result = await trainQFormer(
    config,
    // The trainer reports NaN metrics without validation users, as when no user has two
    // interactions.
    {
      vocabulary,
      train: split.train,
      validation: validation.targets.length > 0 ? validation : undefined,
    },
    {
      ...trainer,
      onStart: options.onStart,
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

/** Training sequences and the held-out validation users of a database snapshot. */
export interface HoldoutSplit {
  train: SequenceDataset;
  validation: EvaluationSet;
}

/**
 * Holds out the last interaction of `count` users drawn at random (seeded) among users with
 * at least two interactions: it becomes that user's validation target, and the rest of the
 * sequence stays in training. Every other user trains on the whole sequence, so the newest
 * interactions of almost everyone reach the model.
 */
export function holdOutLastInteractions(
  dataset: SequenceDataset,
  count: number,
  seed: number,
): HoldoutSplit {
  const eligible: number[] = [];
  for (let user = 0; user < dataset.userCount; user += 1) {
    if (dataset.sequence(user).length >= 2) {
      eligible.push(user);
    }
  }
  const order = permutation(createRng(seed).fork('validation-users'), eligible.length);
  const chosen = new Set(Array.from(order.subarray(0, count), (position) => eligible[position]));

  const train = new SequenceDatasetBuilder();
  const histories = new SequenceDatasetBuilder();
  const targets: number[] = [];
  for (let user = 0; user < dataset.userCount; user += 1) {
    const sequence = dataset.sequence(user);
    if (!chosen.has(user)) {
      train.add(dataset.userId(user), sequence);
      continue;
    }
    const history = sequence.subarray(0, sequence.length - 1);
    train.add(dataset.userId(user), history);
    histories.add(dataset.userId(user), history);
    targets.push(sequence[sequence.length - 1]);
  }
  return {
    train: train.build(),
    validation: { histories: histories.build(), targets: Int32Array.from(targets) },
  };
}
