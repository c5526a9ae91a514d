/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { InteractionSequence } from '../model/qformer/batch';
import { resolveConfig } from '../model/qformer/config';
import { encodeModel, loadEncodedModel, ModelLoadError } from '../model/qformer/model-store';
import { initializeParameters } from '../model/qformer/parameters';
import { QFormerRecommender } from '../model/qformer/recommender';
import { parameterSpecsOf } from '../model/qformer/trainer';
import { Worker } from 'node:worker_threads';
import { WorkerRecommender } from './worker-recommender';

const ITEM_COUNT = 30;
const config = resolveConfig({
  dim: 8,
  maxLength: 16,
  encoderBlocks: 1,
  queryCount: 2,
  heads: 2,
  feedForwardDim: 16,
  dropout: 0,
});
const encoded = encodeModel({
  config,
  vocabulary: ItemVocabulary.fromItemIds(
    Array.from({ length: ITEM_COUNT }, (_value, i) => `item-${i + 1}`),
  ),
  parameters: initializeParameters(parameterSpecsOf(config, ITEM_COUNT), 3),
  topK: 5,
  metrics: {},
});

/** Histories of 1 to 12 items, so both the 8-slot window and the full one run. */
const histories: InteractionSequence[] = Array.from({ length: 12 }, (_value, row) => ({
  items: Int32Array.from({ length: row + 1 }, (_item, i) => 1 + ((row * 5 + i * 3) % ITEM_COUNT)),
}));

let worker: WorkerRecommender;
let local: QFormerRecommender;

beforeAll(async () => {
  worker = await WorkerRecommender.start(encoded, 'test model');
  local = await QFormerRecommender.withWindows(
    await loadEncodedModel(encoded, 'test model'),
    encoded.onnx,
  );
}, 60_000);

afterAll(async () => {
  await worker.release();
  await local.release();
});

describe('WorkerRecommender', () => {
  it('reports the windows and interest count', () => {
    expect(worker.windowLengths).toEqual(local.windowLengths);
    expect(worker.interestCount).toBe(2);
  });

  it('recommends like the same model in this thread', async () => {
    const expected = await local.recommend(histories, { allScores: true });
    const actual = await worker.recommend(histories, { allScores: true });

    expect(Array.from(actual.items)).toEqual(Array.from(expected.items));
    expect(Array.from(actual.scores)).toEqual(Array.from(expected.scores));
    expect(Array.from(actual.interests)).toEqual(Array.from(expected.interests));
    expect(Array.from(actual.attention!)).toEqual(Array.from(expected.attention!));
    expect(Array.from(actual.allScores!)).toEqual(Array.from(expected.allScores!));
  });

  it('serves concurrent calls in order', async () => {
    const results = await Promise.all(histories.map((history) => worker.recommend([history])));
    const expected = await local.recommend(histories);

    results.forEach((result, row) => {
      expect(Array.from(result.items)).toEqual(
        Array.from(expected.items.subarray(row * 5, row * 5 + 5)),
      );
    });
  });

  it('returns the item embedding table', async () => {
    const table = await worker.itemEmbeddings();

    expect(Array.from(table!)).toEqual(Array.from((await local.itemEmbeddings())!));
  });

  it('rejects an invalid history without failing later calls', async () => {
    const invalid = worker.recommend([{ items: Int32Array.of(ITEM_COUNT + 1) }]);

    await expect(invalid).rejects.toThrow(
      `item index ${ITEM_COUNT + 1} is outside 1..${ITEM_COUNT}`,
    );
    await expect(worker.recommend(histories.slice(0, 1))).resolves.toMatchObject({ batchSize: 1 });
  });

  it('rejects a corrupt model without terminate', async () => {
    const terminate = jest.spyOn(Worker.prototype, 'terminate');
    const corrupt = { ...encoded, onnx: encoded.onnx.slice(0, encoded.onnx.length - 1) };

    await expect(WorkerRecommender.start(corrupt, 'corrupt model')).rejects.toThrow(ModelLoadError);
    expect(terminate).not.toHaveBeenCalled();
    terminate.mockRestore();
  }, 60_000);

  it('releases without terminate', async () => {
    const released = await WorkerRecommender.start(encoded, 'released model');
    const terminate = jest.spyOn(Worker.prototype, 'terminate');
    const inFlight = released.recommend(histories);
    await released.release();

    await expect(inFlight).resolves.toMatchObject({ batchSize: histories.length });
    expect(terminate).not.toHaveBeenCalled();
    terminate.mockRestore();
    await expect(released.recommend(histories.slice(0, 1))).rejects.toThrow('released');
  }, 60_000);
});
