/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../data/item-vocabulary';
import { QFormerConfig, resolveConfig } from './config';
import { combineModels, EnsembleError } from './ensemble';
import { loadModel, MODEL_FILES, saveModel } from './model-store';
import { initializeParameters } from './parameters';
import { QFormerRecommender } from './recommender';
import { parameterSpecsOf, trainQFormer } from './trainer';

const ITEM_COUNT = 15;
const BASE = { dim: 8, maxLength: 6, encoderBlocks: 1, heads: 2, feedForwardDim: 16 };
const itemIds = Array.from({ length: ITEM_COUNT }, (_value, index) => `movie-${index + 1}`);
const vocabulary = ItemVocabulary.fromItemIds(itemIds);
const histories = [
  { items: Int32Array.of(3) },
  { items: Int32Array.of(1, 2, 3, 4) },
  { items: Int32Array.of(5, 9, 2, 7, 11, 14) },
  { items: Int32Array.of(6, 6, 12, 1, 8, 10, 13, 2, 4) },
];

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'qrec-ensemble-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Saves a model of `config` with weights drawn from `seed` and returns its directory. */
async function saveMember(
  name: string,
  config: QFormerConfig,
  seed: number,
  items = vocabulary,
): Promise<string> {
  const directory = join(folder, name);
  await saveModel(directory, {
    config,
    vocabulary: items,
    parameters: initializeParameters(parameterSpecsOf(config, items.size), seed),
    topK: 5,
    metrics: { seed },
  });
  return directory;
}

async function withRecommender<T>(
  directory: string,
  use: (recommender: QFormerRecommender) => Promise<T>,
): Promise<T> {
  const recommender = new QFormerRecommender(await loadModel(directory));
  try {
    return await use(recommender);
  } finally {
    await recommender.release();
  }
}

describe.each([
  { queries: 1, aggregation: 'max' as const },
  { queries: 2, aggregation: 'max' as const },
  { queries: 3, aggregation: 'logsumexp' as const },
])('ensemble of m = $queries models ($aggregation)', ({ queries, aggregation }) => {
  const config = resolveConfig({ ...BASE, queryCount: queries, aggregation });
  let members: string[];
  let ensemble: string;

  beforeAll(async () => {
    const name = `m${queries}-${aggregation}`;
    members = [
      await saveMember(`${name}-a`, config, 11),
      await saveMember(`${name}-b`, config, 12),
      await saveMember(`${name}-c`, config, 13),
    ];
    ensemble = join(folder, `${name}-ensemble`);
    await combineModels(members, ensemble, { topK: 6 });
  });

  it('sums the member scores', async () => {
    const memberScores = await Promise.all(
      members.map((member) =>
        withRecommender(member, (model) => model.score(histories.map((h) => h.items))),
      ),
    );
    const scores = await withRecommender(ensemble, (model) =>
      model.score(histories.map((h) => h.items)),
    );

    expect(scores).toHaveLength(histories.length * (ITEM_COUNT + 1));
    for (let row = 0; row < histories.length; row += 1) {
      for (let item = 1; item <= ITEM_COUNT; item += 1) {
        const index = row * (ITEM_COUNT + 1) + item;
        const sum = memberScores.reduce((total, member) => total + member[index], 0);
        expect(scores[index]).toBeCloseTo(sum, 4);
      }
    }
  });

  it('keeps member scores as interest dot products', async () => {
    const m = queries;
    const d = BASE.dim;
    const width = members.length * d;
    const { result, table, interestCount } = await withRecommender(ensemble, async (model) => ({
      result: await model.recommend(histories, { allScores: true }),
      table: (await model.itemEmbeddings()) as Float32Array,
      interestCount: model.interestCount,
    }));
    const memberResults = await Promise.all(
      members.map((member) =>
        withRecommender(member, (model) => model.recommend(histories, { allScores: true })),
      ),
    );

    expect(interestCount).toBe(members.length * m);
    expect(table).toHaveLength((ITEM_COUNT + 1) * width);
    expect(result.interests).toHaveLength(histories.length * members.length * m * width);
    const row = 2;
    const item = 7;
    memberResults.forEach((memberResult, k) => {
      for (let q = 0; q < m; q += 1) {
        const interest = result.interests.subarray(
          (row * members.length * m + k * m + q) * width,
          (row * members.length * m + k * m + q + 1) * width,
        );
        const own = memberResult.interests.subarray((row * m + q) * d, (row * m + q + 1) * d);
        let dot = 0;
        for (let column = 0; column < width; column += 1) {
          const inBlock = column >= k * d && column < (k + 1) * d;
          expect(interest[column]).toBeCloseTo(inBlock ? own[column - k * d] : 0, 5);
          dot += interest[column] * table[item * width + column];
        }
        let memberDot = 0;
        for (let column = 0; column < d; column += 1) {
          memberDot += own[column] * table[item * width + k * d + column];
        }
        expect(dot).toBeCloseTo(memberDot, 5);
      }
      const L = BASE.maxLength;
      const attention = result.attention as Float32Array;
      const memberAttention = memberResult.attention as Float32Array;
      const rowStart = (row * members.length * m + k * m) * L;
      for (let slot = 0; slot < m * L; slot += 1) {
        expect(attention[rowStart + slot]).toBeCloseTo(memberAttention[row * m * L + slot], 5);
      }
    });
  });

  it('scores alike in a shorter window', async () => {
    const items = histories.map((history) => history.items);
    const full = await withRecommender(ensemble, (model) => model.score(items));
    const bytes = await readFile(join(ensemble, MODEL_FILES.model));
    const windowed = await QFormerRecommender.withWindows(await loadModel(ensemble), bytes, [3]);
    const scores = await windowed.score(items);
    await windowed.release();

    expect(scores).toHaveLength(full.length);
    full.forEach((value, index) => expect(scores[index]).toBeCloseTo(value, 4));
  });

  it('records members in config and metrics', async () => {
    const loaded = await loadModel(ensemble);
    await loaded.session.release();

    expect(loaded.config).toEqual({ ...config, ensembleMembers: 3 });
    expect(loaded.manifest.topK).toBe(6);
    expect(loaded.metrics).toMatchObject({
      ensemble: { members: members.map((source, k) => ({ source, metrics: { seed: 11 + k } })) },
    });
  });
});

describe('combineModels checks', () => {
  const config = resolveConfig({ ...BASE, queryCount: 1 });

  async function expectNothingWritten(out: string): Promise<void> {
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  }

  it.each([
    { label: 'one model', count: 1 },
    { label: 'seventeen models', count: 17 },
  ])('rejects $label', async ({ count }) => {
    const member = await saveMember('single', config, 1);
    const out = join(folder, `count-${count}`);

    await expect(combineModels(Array(count).fill(member), out)).rejects.toThrow(
      new EnsembleError(`an ensemble needs 2 to 16 models, got ${count}`),
    );
    await expectNothingWritten(out);
  });

  it('names the first differing field', async () => {
    const a = await saveMember('dim-a', config, 1);
    const b = await saveMember('dim-b', resolveConfig({ ...BASE, queryCount: 1, dim: 4 }), 2);
    const out = join(folder, 'dim-ensemble');

    await expect(combineModels([a, b], out)).rejects.toThrow(
      `${b} has dim 4 but ${a} has 8; the members of an ensemble share one configuration`,
    );
    await expectNothingWritten(out);
  });

  it('rejects other item ids', async () => {
    const a = await saveMember('items-a', config, 1);
    const b = await saveMember(
      'items-b',
      config,
      2,
      ItemVocabulary.fromItemIds([...itemIds.slice(1), 'movie-99']),
    );
    const out = join(folder, 'items-ensemble');

    await expect(combineModels([a, b], out)).rejects.toThrow(
      `${b} maps item ids to indices differently from ${a}`,
    );
    await expectNothingWritten(out);
  });

  it('rejects nested ensembles and large top-K', async () => {
    const a = await saveMember('nested-a', config, 1);
    const b = await saveMember('nested-b', config, 2);
    const pair = join(folder, 'nested-pair');
    await combineModels([a, b], pair);

    await expect(combineModels([pair, a], join(folder, 'nested-out'))).rejects.toThrow(
      `${pair} is already an ensemble of 2 models; combine its members instead`,
    );
    await expect(combineModels([a, b], join(folder, 'big-k'), { topK: 16 })).rejects.toThrow(
      'invalid top-K 16: expected an integer in 1..15',
    );
    await expectNothingWritten(join(folder, 'nested-out'));
    await expectNothingWritten(join(folder, 'big-k'));
  });

  it('is rejected by the trainer', async () => {
    const sequences = {
      vocabulary,
      train: undefined as never,
    };

    await expect(
      trainQFormer({ ...config, ensembleMembers: 2 }, sequences, { epochs: 1 }),
    ).rejects.toThrow(
      'invalid ensembleMembers 2 for training: train each member with ensembleMembers 1 ' +
        'and combine the saved models with `qrec ensemble`',
    );
  });
});
