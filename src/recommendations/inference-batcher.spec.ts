/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { InteractionSequence } from '../model/qformer/batch';
import { resolveConfig } from '../model/qformer/config';
import { loadModel, saveModel } from '../model/qformer/model-store';
import { initializeParameters } from '../model/qformer/parameters';
import { QFormerRecommender } from '../model/qformer/recommender';
import { parameterSpecsOf } from '../model/qformer/trainer';
import { InferenceBatcher } from './inference-batcher';

const ITEM_COUNT = 40;
const TOP_K = 8;
const config = resolveConfig({
  dim: 16,
  maxLength: 6,
  eventTypeCount: 2,
  encoderBlocks: 1,
  queryCount: 3,
  heads: 2,
  feedForwardDim: 16,
  dropout: 0,
});
const parameters = initializeParameters(parameterSpecsOf(config, ITEM_COUNT), 5);

let directory: string;
let recommender: QFormerRecommender;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'batcher-model-'));
  await saveModel(join(directory, 'model'), {
    config,
    vocabulary: ItemVocabulary.fromItemIds(
      Array.from({ length: ITEM_COUNT }, (_value, i) => `i${i + 1}`),
    ),
    parameters,
    topK: TOP_K,
    metrics: {},
  });
  recommender = new QFormerRecommender(await loadModel(join(directory, 'model')));
});

afterAll(async () => {
  await recommender.release();
  await rm(directory, { recursive: true, force: true });
});

function history(seed: number): InteractionSequence {
  const length = 1 + (seed % 9);
  return {
    items: Int32Array.from({ length }, (_value, i) => 1 + ((seed * 7 + i * 3) % ITEM_COUNT)),
    eventTypes: Int32Array.from({ length }, (_value, i) => 1 + ((seed + i) % 2)),
  };
}

describe('InferenceBatcher', () => {
  it('groups concurrent requests into one run', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 5 });
    const rows = await Promise.all(
      Array.from({ length: 10 }, (_value, i) => batcher.infer(recommender, history(i))),
    );

    expect(batcher.stats.runs).toBe(1);
    expect(batcher.stats.largestBatch).toBe(10);
    expect(rows).toHaveLength(10);
  });

  it('matches a run of one history', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 5 });
    const histories = Array.from({ length: 5 }, (_value, i) => history(i + 3));
    const batched = await Promise.all(histories.map((h) => batcher.infer(recommender, h)));

    for (const [i, h] of histories.entries()) {
      const single = await recommender.recommend([h]);
      expect(Array.from(batched[i].topItems)).toEqual(Array.from(single.items));
      expect(Array.from(batched[i].interests)).toEqual(Array.from(single.interests));
      expect(Array.from(batched[i].attention!)).toEqual(Array.from(single.attention!));
    }
  });

  it('runs a full batch without waiting', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 4, waitMs: 10_000 });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, (_value, i) => batcher.infer(recommender, history(i))),
    );

    expect(batcher.stats.runs).toBe(2);
    expect(batcher.stats.largestBatch).toBe(4);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects every request of a failed run', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 1 });
    const invalid = { items: Int32Array.of(ITEM_COUNT + 1) };
    const results = await Promise.allSettled([
      batcher.infer(recommender, history(1)),
      batcher.infer(recommender, invalid),
    ]);

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });

  it('scores every item like the top-K', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 1 });
    const h = history(4);
    const row = await batcher.infer(recommender, h);
    const scores = await batcher.scoreAll(recommender, h);

    expect(scores).toHaveLength(ITEM_COUNT + 1);
    expect(scores[row.topItems[0]]).toBeCloseTo(row.topScores[0], 5);
    expect(Math.max(...scores.subarray(1))).toBeCloseTo(row.topScores[0], 5);
  });

  it('reads the item embedding table once', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 1 });
    const first = batcher.itemEmbeddingTable(recommender);
    const table = await first;
    const embeddings = parameters.find((p) => p.name === 'item_embeddings')!;

    expect(batcher.itemEmbeddingTable(recommender)).toBe(first);
    expect(Array.from(table!)).toEqual(Array.from(embeddings.data));
  });
});
