import type { ItemVocabulary } from '../model/data/item-vocabulary';
import type { QFormerConfig } from '../model/qformer/config';
import type { ServingRecommender } from '../models/serving-model';

/** The parts of the active model that serving reads. */
export interface ServingModelView {
  versionId: string;
  recommender: ServingRecommender;
  vocabulary: ItemVocabulary;
  /** Event type of index i + 1; empty when the model was trained without event types. */
  eventTypes: string[];
  config: QFormerConfig;
}

/**
 * Lends the active model: `use` keeps its ONNX Runtime session alive until `work` settles,
 * and passes null when no model is active.
 */
export interface ServingModelProvider {
  use<T>(work: (model: ServingModelView | null) => Promise<T>): Promise<T>;
}

/** Injection token of the {@link ServingModelProvider}. */
export const SERVING_MODEL_PROVIDER = Symbol('SERVING_MODEL_PROVIDER');
