import { SequenceDataset, SequenceDatasetBuilder } from '../data/sequence-dataset';
import { selectTopK } from '../eval/top-k';
import { CooccurrenceRecommender } from './cooccurrence';
import { fitBaseline } from './index';
import { MostPopularRecommender } from './most-popular';

const ITEM_COUNT = 6;

// Item 1 is the most popular item. Item 3 always follows item 2, and item 5 follows item 4.
const TRAIN = datasetOf([
  [1, 2, 3],
  [1, 2, 3],
  [1, 4, 5],
  [1, 6],
  [6, 1],
]);

function datasetOf(sequences: number[][]): SequenceDataset {
  const builder = new SequenceDatasetBuilder();
  sequences.forEach((items, user) => builder.add(String(user), items));
  return builder.build();
}

function topItems(scores: Float32Array, user: number, k: number, history: number[] = []): number[] {
  const row = scores.subarray(user * (ITEM_COUNT + 1), (user + 1) * (ITEM_COUNT + 1));
  const excluded = new Uint8Array(ITEM_COUNT + 1);
  history.forEach((item) => (excluded[item] = 1));
  return Array.from(selectTopK(row, k, excluded));
}

describe('MostPopularRecommender', () => {
  it('ranks by training count', async () => {
    const model = MostPopularRecommender.fit(TRAIN, ITEM_COUNT);

    const scores = await model.score([Int32Array.from([4])]);

    expect(topItems(scores, 0, 3)).toEqual([1, 2, 3]);
  });

  it('gives every user the same scores', async () => {
    const model = MostPopularRecommender.fit(TRAIN, ITEM_COUNT);

    const scores = await model.score([Int32Array.from([1]), Int32Array.from([5, 6])]);

    expect(Array.from(scores.subarray(0, 7))).toEqual(Array.from(scores.subarray(7, 14)));
    expect(Array.from(scores.subarray(0, 7))).toEqual([0, 5, 2, 2, 1, 1, 2]);
  });
});

describe('CooccurrenceRecommender', () => {
  // Training counts: item 4 has 4, items 1 and 6 have 3, item 2 has 2, items 3 and 5 have 1.
  const train = datasetOf([
    [1, 2],
    [1, 2],
    [1, 3],
    [4, 5],
    [6, 4],
    [6, 4],
    [6, 4],
  ]);

  it('ranks neighbours above popular items', async () => {
    const model = CooccurrenceRecommender.fit(train, ITEM_COUNT, { windowSize: 2, recentItems: 1 });

    const scores = await model.score([Int32Array.from([1])]);

    expect(topItems(scores, 0, 2, [1])).toEqual([2, 3]);
  });

  it('weights recent items more', async () => {
    const model = CooccurrenceRecommender.fit(
      datasetOf([
        [1, 2],
        [3, 4],
      ]),
      4,
      {
        windowSize: 2,
        recentItems: 2,
      },
    );

    const scores = await model.score([Int32Array.from([1, 3]), Int32Array.from([3, 1])]);

    // Row length is 5 (4 items and padding). Item 2 pairs with 1, item 4 with 3.
    const lastIsThree = scores.subarray(0, 5);
    const lastIsOne = scores.subarray(5, 10);
    expect(lastIsThree[4]).toBeGreaterThan(lastIsThree[2]);
    expect(lastIsOne[2]).toBeGreaterThan(lastIsOne[4]);
  });

  it('falls back to popularity', async () => {
    const model = CooccurrenceRecommender.fit(train, ITEM_COUNT, { windowSize: 2, recentItems: 1 });

    // Item 5 co-occurs only with 4; the rest follow training counts, ties by lower index.
    const scores = await model.score([Int32Array.from([5])]);

    expect(topItems(scores, 0, 4, [5])).toEqual([4, 1, 6, 2]);
  });

  it('counts pairs within the window only', () => {
    const narrow = CooccurrenceRecommender.fit(TRAIN, ITEM_COUNT, { windowSize: 2 });
    const wide = CooccurrenceRecommender.fit(TRAIN, ITEM_COUNT, { windowSize: 3 });

    // Adjacent pairs {1,2},{2,3},{1,4},{4,5},{1,6}; the wider window adds {1,3},{1,5}.
    expect(narrow.pairCount).toBe(10);
    expect(wide.pairCount).toBe(14);
  });

  it('rejects a zero window', () => {
    expect(() => CooccurrenceRecommender.fit(TRAIN, ITEM_COUNT, { windowSize: 0 })).toThrow(
      'invalid window size: 0 (expected a positive integer)',
    );
  });
});

describe('fitBaseline', () => {
  it('returns a scorer per name', async () => {
    const scorer = fitBaseline('popular', TRAIN, ITEM_COUNT);

    const scores = await scorer([Int32Array.from([1])]);

    expect(scores.length).toBe(ITEM_COUNT + 1);
  });
});
