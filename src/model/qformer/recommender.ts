import { Tensor as OrtTensor } from 'onnxruntime-node';
import { ItemVocabulary } from '../data/item-vocabulary';
import { Scorer } from '../eval/scorer';
import { InteractionSequence, packHistories } from './batch';
import { interestCount } from './config';
import { INFERENCE_OUTPUTS } from './inference-graph';
import { LoadedModel } from './model-store';

/** Recommendations for one batch of histories, row-major per user. */
export interface Recommendations {
  batchSize: number;
  topK: number;
  /** [batch, topK] item indices 1..N, best first. */
  items: Int32Array;
  /** [batch, topK] scores of those items. */
  scores: Float32Array;
  /** [batch, m, d] interest vectors. */
  interests: Float32Array;
  /** [batch, m, L] each query's attention over the history slots; absent for `last` readout. */
  attention?: Float32Array;
}

/** Runs a loaded model on histories of item indices. */
export class QFormerRecommender {
  constructor(readonly model: LoadedModel) {}

  get itemCount(): number {
    return this.model.manifest.itemCount;
  }

  /** Scores every item, row-major [B, N + 1], in the evaluator's `Scorer` form. */
  readonly score: Scorer = async (histories) => {
    const results = await this.run(
      histories.map((items) => ({ items })),
      [INFERENCE_OUTPUTS.scores],
    );
    return results[INFERENCE_OUTPUTS.scores].data as Float32Array;
  };

  /** Returns the top-K items, interests and attention for each history. */
  async recommend(histories: readonly InteractionSequence[]): Promise<Recommendations> {
    const names: string[] = [
      INFERENCE_OUTPUTS.topItems,
      INFERENCE_OUTPUTS.topScores,
      INFERENCE_OUTPUTS.interests,
    ];
    const hasAttention = this.model.session.outputNames.includes(INFERENCE_OUTPUTS.attention);
    if (hasAttention) {
      names.push(INFERENCE_OUTPUTS.attention);
    }
    const results = await this.run(histories, names);
    const topItems = results[INFERENCE_OUTPUTS.topItems].data as BigInt64Array;
    return {
      batchSize: histories.length,
      topK: this.model.manifest.topK,
      items: Int32Array.from(topItems, Number),
      scores: results[INFERENCE_OUTPUTS.topScores].data as Float32Array,
      interests: results[INFERENCE_OUTPUTS.interests].data as Float32Array,
      attention: hasAttention
        ? (results[INFERENCE_OUTPUTS.attention].data as Float32Array)
        : undefined,
    };
  }

  /** Number of interest vectors per user. */
  get interestCount(): number {
    return interestCount(this.model.config);
  }

  async release(): Promise<void> {
    await this.model.session.release();
  }

  private async run(
    histories: readonly InteractionSequence[],
    outputNames: string[],
  ): Promise<Record<string, OrtTensor>> {
    const L = this.model.config.maxLength;
    for (const history of histories) {
      checkIndices(history.items, this.itemCount, 'item');
      if (history.eventTypes !== undefined) {
        checkIndices(history.eventTypes, this.model.config.eventTypeCount, 'event type');
      }
    }
    const packed = packHistories(histories, L);
    const B = histories.length;
    const feeds = {
      items: new OrtTensor('int64', packed.items, [B, L]),
      event_types: new OrtTensor('int64', packed.eventTypes, [B, L]),
      lengths: new OrtTensor('int64', packed.lengths, [B]),
    };
    return this.model.session.run(feeds, outputNames);
  }
}

function checkIndices(values: Int32Array, maximum: number, what: string): void {
  for (const value of values) {
    if (!Number.isInteger(value) || value < 1 || value > maximum) {
      throw new RangeError(`${what} index ${value} is outside 1..${maximum}`);
    }
  }
}

/**
 * Wraps a model's scorer for data encoded with another item vocabulary: histories are
 * translated by item id into the model's indices, and scores back into the data's. Items the
 * model has never seen are dropped from histories and get the lowest score.
 */
export function scorerForVocabulary(
  recommender: QFormerRecommender,
  dataVocabulary: ItemVocabulary,
): Scorer {
  const modelVocabulary = recommender.model.vocabulary;
  const toModel = new Int32Array(dataVocabulary.size + 1);
  let identical = dataVocabulary.size === modelVocabulary.size;
  for (let index = 1; index <= dataVocabulary.size; index += 1) {
    toModel[index] = modelVocabulary.indexOf(dataVocabulary.itemId(index)) ?? 0;
    identical &&= toModel[index] === index;
  }
  if (identical) {
    return recommender.score;
  }
  return async (histories) => {
    const translated = histories.map((history) =>
      Int32Array.from(history, (index) => toModel[index]).filter((index) => index > 0),
    );
    const modelScores = await recommender.score(translated);
    const rowLength = dataVocabulary.size + 1;
    const modelRowLength = modelVocabulary.size + 1;
    const scores = new Float32Array(histories.length * rowLength).fill(-1e9);
    for (let user = 0; user < histories.length; user += 1) {
      for (let index = 1; index < rowLength; index += 1) {
        const modelIndex = toModel[index];
        if (modelIndex > 0) {
          scores[user * rowLength + index] = modelScores[user * modelRowLength + modelIndex];
        }
      }
    }
    return scores;
  };
}
