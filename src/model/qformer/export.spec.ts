/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { ItemVocabulary } from '../data/item-vocabulary';
import { createRng } from '../engine/random';
import { EngineSession, Feed } from '../engine/session';
import { InteractionSequence, TrainingBatchBuilder } from './batch';
import { QFormerConfig, resolveConfig } from './config';
import { loadModel, MODEL_FILES, ModelLoadError, saveModel } from './model-store';
import { initializeParameters } from './parameters';
import { QFormerRecommender } from './recommender';
import { buildTrainingGraph } from './training-graph';
import { parameterSpecsOf } from './trainer';

const ITEM_COUNT = 30;
const L = 10;
const TOLERANCE = 1e-5;

const config: QFormerConfig = resolveConfig({
  dim: 16,
  maxLength: L,
  encoderBlocks: 2,
  queryCount: 3,
  heads: 2,
  feedForwardDim: 24,
  dropout: 0,
  interestSelection: 'all',
});
const parameters = initializeParameters(parameterSpecsOf(config, ITEM_COUNT), 11);
const vocabulary = ItemVocabulary.fromItemIds(
  Array.from({ length: ITEM_COUNT }, (_value, index) => `movie-${index + 1}`),
);
const histories: InteractionSequence[] = [
  { items: Int32Array.of(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) },
  { items: Int32Array.of(30, 2, 17) },
  { items: Int32Array.of(21) },
];

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'qformer-model-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function saveTestModel(
  path: string,
  modelConfig = config,
  modelParameters = parameters,
): Promise<void> {
  await saveModel(path, {
    config: modelConfig,
    vocabulary,
    parameters: modelParameters,
    topK: 5,
    metrics: { bestEpoch: 3 },
  });
}

/** Logits of items 1..N at the last slot of each history, from the training graph. */
async function trainingGraphScores(
  modelConfig = config,
  modelParameters = parameters,
): Promise<Float32Array[]> {
  const graph = buildTrainingGraph(modelConfig, ITEM_COUNT, { batchSize: histories.length });
  // A dummy next item makes each history's newest interaction a target slot.
  const withTargets = histories.map((history) => ({
    items: Int32Array.from([...history.items, 1]),
  }));
  const batch = new TrainingBatchBuilder(modelConfig, ITEM_COUNT, histories.length).build(
    withTargets,
    createRng(1),
  );
  const feeds: Record<string, Feed> = { ...batch.feeds };
  for (const parameter of modelParameters) {
    feeds[parameter.name] = { data: parameter.data, dims: parameter.shape };
  }
  const session = await EngineSession.create(graph.graph, [graph.logits!]);
  const logits = (await session.run(feeds)).get(graph.logits!.name) as OrtTensor;
  await session.release();

  const data = logits.data as Float32Array;
  const rows: Float32Array[] = [];
  let row = -1;
  for (const history of histories) {
    row += Math.min(history.items.length, L);
    rows.push(data.slice(row * ITEM_COUNT, (row + 1) * ITEM_COUNT));
  }
  return rows;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i += 1) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}

describe('exported Q-Former model', () => {
  it('matches the training graph scores', async () => {
    await saveTestModel(directory);
    const recommender = new QFormerRecommender(await loadModel(directory));
    const exported = await recommender.score(histories.map((history) => history.items));
    await recommender.release();
    const expected = await trainingGraphScores();

    histories.forEach((_history, b) => {
      const row = exported.slice(b * (ITEM_COUNT + 1) + 1, (b + 1) * (ITEM_COUNT + 1));
      expect(maxDifference(row, expected[b])).toBeLessThan(TOLERANCE);
    });
  });

  it('matches with unscaled item embeddings', async () => {
    const unscaled = resolveConfig({ ...config, scaleItemEmbeddings: false });
    await saveTestModel(directory, unscaled);
    const recommender = new QFormerRecommender(await loadModel(directory));
    const exported = await recommender.score(histories.map((history) => history.items));
    await recommender.release();
    const expected = await trainingGraphScores(unscaled);
    const scaled = await trainingGraphScores(
      resolveConfig({ ...config, scaleItemEmbeddings: true }),
    );

    histories.forEach((_history, b) => {
      const row = exported.slice(b * (ITEM_COUNT + 1) + 1, (b + 1) * (ITEM_COUNT + 1));
      expect(maxDifference(row, expected[b])).toBeLessThan(TOLERANCE);
      expect(maxDifference(row, scaled[b])).toBeGreaterThan(1e-3);
    });
  });

  it('matches with encoder position bias and gated feed-forward', async () => {
    const extended = resolveConfig({
      ...config,
      encoderPositionBias: true,
      gatedFeedForward: true,
    });
    const extendedParameters = initializeParameters(parameterSpecsOf(extended, ITEM_COUNT), 12);
    const names = extendedParameters.map((parameter) => parameter.name);
    expect(names).toEqual(
      expect.arrayContaining(['encoder.1.position_bias', 'qformer.0.ffn.gate.weight']),
    );
    await saveTestModel(directory, extended, extendedParameters);
    const recommender = new QFormerRecommender(await loadModel(directory));
    const exported = await recommender.score(histories.map((history) => history.items));
    await recommender.release();
    const expected = await trainingGraphScores(extended, extendedParameters);

    histories.forEach((_history, b) => {
      const row = exported.slice(b * (ITEM_COUNT + 1) + 1, (b + 1) * (ITEM_COUNT + 1));
      expect(maxDifference(row, expected[b])).toBeLessThan(TOLERANCE);
    });
  });

  it('returns top-K, interests and attention', async () => {
    await saveTestModel(directory);
    const recommender = new QFormerRecommender(await loadModel(directory));
    const result = await recommender.recommend(histories);
    await recommender.release();

    expect(result.items).toHaveLength(3 * 5);
    expect(result.scores[0]).toBeGreaterThanOrEqual(result.scores[1]);
    expect(result.items.every((item) => item >= 1 && item <= ITEM_COUNT)).toBe(true);
    expect(result.interests).toHaveLength(3 * 3 * 16);
    // History 2 has one interaction, in the last slot: all attention goes there.
    const lastUser = result.attention!.slice(2 * 3 * L, 3 * 3 * L);
    for (let query = 0; query < 3; query += 1) {
      expect(lastUser[query * L + L - 1]).toBeCloseTo(1, 6);
    }
  });

  it('outputs the item embedding table', async () => {
    await saveTestModel(directory);
    const loaded = await loadModel(directory);
    const feeds = {
      items: new OrtTensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
      event_types: new OrtTensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
      lengths: new OrtTensor('int64', BigInt64Array.of(1n), [1]),
    };
    const outputs = await loaded.session.run(feeds, ['item_embedding_table']);
    await loaded.session.release();
    const table = parameters.find((parameter) => parameter.name === 'item_embeddings')!;

    expect(outputs.item_embedding_table.dims).toEqual([ITEM_COUNT + 1, 16]);
    expect(
      maxDifference(outputs.item_embedding_table.data as Float32Array, table.data as Float32Array),
    ).toBe(0);
  });

  it('exports the last-slot readout', async () => {
    const lastConfig = resolveConfig({ ...config, readout: 'last' });
    await saveModel(directory, {
      config: lastConfig,
      vocabulary,
      parameters: initializeParameters(parameterSpecsOf(lastConfig, ITEM_COUNT), 2),
      topK: 4,
      metrics: {},
    });
    const recommender = new QFormerRecommender(await loadModel(directory));
    const result = await recommender.recommend(histories);
    await recommender.release();

    expect(result.items).toHaveLength(3 * 4);
    expect(result.interests).toHaveLength(3 * 16);
    expect(result.attention).toBeUndefined();
  });

  it('round-trips the model directory', async () => {
    await saveTestModel(directory);
    const loaded = await loadModel(directory);
    await loaded.session.release();

    expect(loaded.config).toEqual(config);
    expect(loaded.vocabulary.itemId(7)).toBe(vocabulary.itemId(7));
    expect(loaded.manifest.topK).toBe(5);
    expect(loaded.metrics).toEqual({ bestEpoch: 3 });
  });

  it('rejects a corrupted ONNX file', async () => {
    await saveTestModel(directory);
    const path = join(directory, MODEL_FILES.model);
    const bytes = await readFile(path);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(path, bytes);

    await expect(loadModel(directory)).rejects.toThrow(ModelLoadError);
    await expect(loadModel(directory)).rejects.toThrow(/model\.onnx fails its checksum/);
  });

  it('rejects another format version', async () => {
    await saveTestModel(directory);
    const path = join(directory, MODEL_FILES.manifest);
    const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...manifest, formatVersion: 99 }));

    await expect(loadModel(directory)).rejects.toThrow(/format version 99 is not supported/);
  });

  it('rejects a missing directory', async () => {
    await expect(loadModel(join(directory, 'absent'))).rejects.toThrow(/cannot read/);
  });
});
