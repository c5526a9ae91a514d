/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../data/item-vocabulary';
import { InteractionSequence } from './batch';
import { QFormerConfig, resolveConfig } from './config';
import { loadModel, MODEL_FILES, saveModel } from './model-store';
import { initializeParameters } from './parameters';
import { QFormerRecommender } from './recommender';
import { parameterSpecsOf } from './trainer';
import { defaultWindowLengths, parametersFromOnnx } from './window-sessions';

const ITEM_COUNT = 40;
const L = 16;
const TOLERANCE = 1e-5;

const config: QFormerConfig = resolveConfig({
  dim: 16,
  maxLength: L,
  encoderBlocks: 2,
  queryCount: 3,
  heads: 2,
  feedForwardDim: 24,
  dropout: 0,
});
const parameters = initializeParameters(parameterSpecsOf(config, ITEM_COUNT), 5);

/** Histories of lengths 1 to 20, so every window and the full one get some. */
const histories: InteractionSequence[] = Array.from({ length: 20 }, (_value, row) => ({
  items: Int32Array.from(
    { length: row + 1 },
    (_item, position) => 1 + ((row * 7 + position * 3) % ITEM_COUNT),
  ),
}));

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'qformer-windows-'));
  await saveModel(directory, {
    config,
    vocabulary: ItemVocabulary.fromItemIds(
      Array.from({ length: ITEM_COUNT }, (_value, index) => `item-${index + 1}`),
    ),
    parameters,
    topK: 6,
    metrics: {},
  });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function recommenders(): Promise<{ full: QFormerRecommender; windowed: QFormerRecommender }> {
  const full = new QFormerRecommender(await loadModel(directory));
  const onnxBytes = await readFile(join(directory, MODEL_FILES.model));
  const windowed = await QFormerRecommender.withWindows(
    await loadModel(directory),
    onnxBytes,
    [4, 8],
  );
  return { full, windowed };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i += 1) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}

describe('window sessions', () => {
  it('lists default window lengths', () => {
    expect(defaultWindowLengths(200)).toEqual([25, 50, 100]);
    expect(defaultWindowLengths(16)).toEqual([8]);
    expect(defaultWindowLengths(10)).toEqual([]);
  });

  it('reads the weights back from ONNX', async () => {
    const read = parametersFromOnnx(await readFile(join(directory, MODEL_FILES.model)));
    const byName = new Map(read.map((parameter) => [parameter.name, parameter]));

    expect(read).toHaveLength(parameters.length);
    for (const parameter of parameters) {
      expect(byName.get(parameter.name)?.shape).toEqual(parameter.shape);
      expect(maxDifference(byName.get(parameter.name)!.data, parameter.data)).toBe(0);
    }
  });

  it('scores like the full window', async () => {
    const { full, windowed } = await recommenders();
    const items = histories.map((history) => history.items);
    const expected = await full.score(items);
    const actual = await windowed.score(items);
    await full.release();
    await windowed.release();

    expect(windowed.windowLengths).toEqual([4, 8, L]);
    expect(actual).toHaveLength(expected.length);
    expect(maxDifference(actual, expected)).toBeLessThan(TOLERANCE);
  });

  it('recommends like the full window', async () => {
    const { full, windowed } = await recommenders();
    const expected = await full.recommend(histories);
    const actual = await windowed.recommend(histories);
    await full.release();
    await windowed.release();

    expect(Array.from(actual.items)).toEqual(Array.from(expected.items));
    expect(maxDifference(actual.scores, expected.scores)).toBeLessThan(TOLERANCE);
    expect(maxDifference(actual.interests, expected.interests)).toBeLessThan(TOLERANCE);
    expect(actual.attention).toHaveLength(expected.attention!.length);
    expect(maxDifference(actual.attention!, expected.attention!)).toBeLessThan(TOLERANCE);
  });

  it('returns every score from the recommending run, scattered per window', async () => {
    const { full, windowed } = await recommenders();
    const expected = await full.score(histories.map((history) => history.items));
    const actual = await windowed.recommend(histories, { allScores: true });
    const without = await windowed.recommend(histories);
    await full.release();
    await windowed.release();

    expect(without.allScores).toBeUndefined();
    expect(actual.allScores).toHaveLength(histories.length * (ITEM_COUNT + 1));
    expect(maxDifference(actual.allScores!, expected)).toBeLessThan(TOLERANCE);
    const row = ITEM_COUNT + 1;
    histories.forEach((_history, user) => {
      const best = actual.items[user * 6];
      expect(actual.allScores![user * row + best]).toBeCloseTo(actual.scores[user * 6], 5);
    });
  });
});
