import type { ItemVocabulary } from '../model/data/item-vocabulary';
import type { QFormerConfig } from '../model/qformer/config';
import type { InteractionSequence } from '../model/qformer/batch';
import type { RecommendOptions, Recommendations } from '../model/qformer/recommender';

/**
 * The recommender interface that serving uses: `QFormerRecommender` in this thread, or
 * `WorkerRecommender`, which runs the same recommender in a worker thread.
 */
export interface ServingRecommender {
  /** Number of interest vectors per user. */
  readonly interestCount: number;
  /** Window lengths with a session of their own, the full window last. */
  readonly windowLengths: number[];
  recommend(
    histories: readonly InteractionSequence[],
    options?: RecommendOptions,
  ): Promise<Recommendations>;
  /** The item embedding table [N + 1, d], or null when the model does not export it. */
  itemEmbeddings(): Promise<Float32Array | null>;
  release(): Promise<void>;
}

/** The active model version, loaded into an ONNX Runtime session. */
export interface ServingModel {
  versionId: string;
  createdAt: Date;
  /** Latest interaction time the training data could contain; null when unknown. */
  dataCutoff: Date | null;
  recommender: ServingRecommender;
  /** Maps item ids to the model's item indices 1..N. */
  vocabulary: ItemVocabulary;
  /**
   * Event types of the training data, sorted.
   * NOTE: the trainer trains every interaction as event-type index 1, so histories passed to
   * the recommender should leave `eventTypes` unset until it learns per-type embeddings.
   */
  eventTypes: string[];
  config: QFormerConfig;
}
