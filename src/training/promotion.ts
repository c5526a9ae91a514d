import type { InferenceSession } from 'onnxruntime-node';
import type { ItemVocabulary } from '../model/data/item-vocabulary';
import type { EvaluationSet } from '../model/data/split';
import { evaluateRanking } from '../model/eval/ranking-evaluation';
import type { Scorer } from '../model/eval/scorer';
import type { LoadedModel } from '../model/qformer/model-store';
import { QFormerRecommender, scorerForVocabulary } from '../model/qformer/recommender';
import type { PromotionOutcome } from './training-run';

/** NDCG@10 of one model version on a run's validation users. */
export interface VersionScore {
  versionId: string;
  ndcg10: number;
}

export interface PromotionInput {
  candidateNdcg10: number;
  /** The active version's score on the same users; null when no version is active. */
  active: VersionScore | null;
  force: boolean;
  tolerance: number;
  validationUsers: number;
}

/**
 * Decides whether a new version replaces the active one: it does when no version is active,
 * when the request forced it, or when its NDCG@10 is at least the active version's minus
 * the tolerance.
 */
export function decidePromotion(input: PromotionInput): PromotionOutcome {
  const base = {
    candidateNdcg10: input.candidateNdcg10,
    activeNdcg10: input.active?.ndcg10 ?? null,
    activeVersionId: input.active?.versionId ?? null,
    tolerance: input.tolerance,
    validationUsers: input.validationUsers,
  };
  if (input.active === null) {
    return { ...base, decision: 'promoted', reason: 'no-active-version' };
  }
  if (input.force) {
    return { ...base, decision: 'promoted', reason: 'forced' };
  }
  const passes = input.candidateNdcg10 >= input.active.ndcg10 - input.tolerance;
  return { ...base, decision: passes ? 'promoted' : 'rejected', reason: 'metric' };
}

/**
 * Full-ranking NDCG@10 of a loaded model on a validation set encoded with `vocabulary`.
 * Item ids are mapped between the two vocabularies, so the active version, trained on older
 * data, is scored on exactly the same users and targets as the new one. Releases the model's
 * session when done.
 */
export async function validationNdcg10(
  model: LoadedModel,
  validation: EvaluationSet,
  vocabulary: ItemVocabulary,
  batchSize: number,
): Promise<number> {
  const recommender = new QFormerRecommender(model);
  try {
    const scorer: Scorer = scorerForVocabulary(recommender, vocabulary);
    const report = await evaluateRanking(scorer, validation, vocabulary.size, {
      // Only the mean popularity of the lists uses it, and that metric is not compared.
      itemPopularity: validation.histories.itemCounts(vocabulary.size),
      k: 10,
      batchSize,
    });
    return report.full.ndcg;
  } finally {
    await recommender.release();
  }
}

/** ONNX Runtime options of the worker's evaluation sessions. */
export function workerSessionOptions(threads: number): InferenceSession.SessionOptions {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
}
