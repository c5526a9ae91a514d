/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { InteractionSequence } from '../model/qformer/batch';
import { resolveConfig } from '../model/qformer/config';
import { loadModel, saveModel } from '../model/qformer/model-store';
import { initializeParameters } from '../model/qformer/parameters';
import {
  QFormerRecommender,
  RecommendOptions,
  Recommendations,
} from '../model/qformer/recommender';
import type { ServingRecommender } from '../models/serving-model';
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

/** Holds every run until `open()`, and records the batch sizes it was given. */
class GatedRecommender implements ServingRecommender {
  readonly batchSizes: number[] = [];
  private openGate!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));

  constructor(private readonly inner: QFormerRecommender) {}

  get interestCount(): number {
    return this.inner.interestCount;
  }

  get windowLengths(): number[] {
    return this.inner.windowLengths;
  }

  async recommend(
    histories: readonly InteractionSequence[],
    options?: RecommendOptions,
  ): Promise<Recommendations> {
    this.batchSizes.push(histories.length);
    await this.gate;
    return this.inner.recommend(histories, options);
  }

  itemEmbeddings(): Promise<Float32Array | null> {
    return this.inner.itemEmbeddings();
  }

  async release(): Promise<void> {}

  open(): void {
    this.openGate();
  }

  async started(runs: number): Promise<void> {
    while (this.batchSizes.length < runs) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

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

  it('returns the score of every item from the same run', async () => {
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 1 });
    // Without event types, as `score` reads them.
    const histories = [{ items: history(4).items }, { items: history(5).items }];
    const rows = await Promise.all(histories.map((h) => batcher.infer(recommender, h)));
    const scores = await recommender.score(histories.map((h) => h.items));

    expect(batcher.stats.runs).toBe(1);
    rows.forEach((row, b) => {
      expect(row.allScores).toHaveLength(ITEM_COUNT + 1);
      expect(Array.from(row.allScores)).toEqual(
        Array.from(scores.subarray(b * (ITEM_COUNT + 1), (b + 1) * (ITEM_COUNT + 1))),
      );
      expect(row.allScores[row.topItems[0]]).toBeCloseTo(row.topScores[0], 5);
    });
  });

  it('keeps one run in flight and batches the requests that arrive meanwhile', async () => {
    const gate = new GatedRecommender(recommender);
    const batcher = new InferenceBatcher({ maxBatchSize: 64, waitMs: 0 });
    const first = batcher.infer(gate, history(1));
    await gate.started(1);
    const later = Array.from({ length: 5 }, (_value, i) => batcher.infer(gate, history(i + 2)));
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(gate.batchSizes).toEqual([1]);
    gate.open();
    await Promise.all([first, ...later]);
    expect(gate.batchSizes).toEqual([1, 5]);
    expect(batcher.stats.maxObservedInFlight).toBe(1);
  });

  it('cuts a waiting queue into batches of at most the maximum size', async () => {
    const gate = new GatedRecommender(recommender);
    const batcher = new InferenceBatcher({ maxBatchSize: 3, waitMs: 0 });
    const first = batcher.infer(gate, history(1));
    await gate.started(1);
    const later = Array.from({ length: 7 }, (_value, i) => batcher.infer(gate, history(i + 2)));
    gate.open();
    await Promise.all([first, ...later]);

    expect(gate.batchSizes).toEqual([1, 3, 3, 1]);
    expect(batcher.stats.maxObservedInFlight).toBe(1);
  });

  it('runs up to maxInFlight batches at the same time', async () => {
    const gate = new GatedRecommender(recommender);
    const batcher = new InferenceBatcher({ maxBatchSize: 2, waitMs: 0, maxInFlight: 2 });
    const requests = Array.from({ length: 6 }, (_value, i) => batcher.infer(gate, history(i)));
    await gate.started(2);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(gate.batchSizes).toEqual([2, 2]);
    gate.open();
    await Promise.all(requests);
    expect(gate.batchSizes).toEqual([2, 2, 2]);
    expect(batcher.stats.maxObservedInFlight).toBe(2);
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
