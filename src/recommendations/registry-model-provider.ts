import type { InferenceSession } from 'onnxruntime-node';
import type { DataSource } from 'typeorm';
import { QFormerRecommender } from '../model/qformer/recommender';
import { ModelRegistry } from '../models/model-registry';
import type { ServingModelProvider, ServingModelView } from './serving-model-provider';

/**
 * A provider for one-off processes such as the CLI: it loads the version that is active
 * when it is opened and keeps it, without following later activations.
 */
export class FixedModelProvider implements ServingModelProvider {
  private constructor(private readonly model: ServingModelView | null) {}

  /** Loads the active version, or lends null when none is active. */
  static async open(
    dataSource: DataSource,
    sessionOptions: InferenceSession.SessionOptions = {},
  ): Promise<FixedModelProvider> {
    const registry = new ModelRegistry(dataSource);
    const active = await registry.findActive();
    if (active === null) {
      return new FixedModelProvider(null);
    }
    const artifact = await registry.loadArtifact(active.id, sessionOptions);
    return new FixedModelProvider({
      versionId: active.id,
      recommender: new QFormerRecommender(artifact),
      vocabulary: artifact.vocabulary,
      eventTypes: artifact.eventTypes,
      config: artifact.config,
    });
  }

  get versionId(): string | null {
    return this.model?.versionId ?? null;
  }

  use<T>(work: (model: ServingModelView | null) => Promise<T>): Promise<T> {
    return work(this.model);
  }

  async close(): Promise<void> {
    await this.model?.recommender.release();
  }
}
