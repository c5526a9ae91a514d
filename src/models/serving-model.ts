import type { ItemVocabulary } from '../model/data/item-vocabulary';
import type { QFormerConfig } from '../model/qformer/config';
import type { QFormerRecommender } from '../model/qformer/recommender';

/** The active model version, loaded into an ONNX Runtime session. */
export interface ServingModel {
  versionId: string;
  createdAt: Date;
  /** Latest interaction time the training data could contain; null when unknown. */
  dataCutoff: Date | null;
  recommender: QFormerRecommender;
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
