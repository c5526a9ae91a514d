import { SequenceDatasetBuilder } from '../data/sequence-dataset';
import { EvaluationSet } from '../data/split';
import { evaluateRanking } from './ranking-evaluation';
import { Scorer } from './scorer';

const ITEM_COUNT = 6;

function evaluationSetOf(users: Array<{ history: number[]; target: number }>): EvaluationSet {
  const builder = new SequenceDatasetBuilder();
  users.forEach((user, position) => builder.add(String(position), user.history));
  return { histories: builder.build(), targets: Int32Array.from(users.map((user) => user.target)) };
}

/** Gives every user the same scores: item i scores `itemScores[i]`. */
function fixedScorer(itemScores: number[], calls: number[] = []): Scorer {
  return (histories) => {
    calls.push(histories.length);
    const scores = new Float32Array(histories.length * (ITEM_COUNT + 1));
    histories.forEach((_, user) => scores.set(itemScores, user * (ITEM_COUNT + 1)));
    return Promise.resolve(scores);
  };
}

// Item 1 ranks first, item 6 last; padding gets the highest score to prove it is ignored.
const DESCENDING = [100, 6, 5, 4, 3, 2, 1];
const POPULARITY = Int32Array.from([0, 60, 50, 40, 30, 20, 10]);

describe('evaluateRanking', () => {
  it('scores a rank-1 target as a full hit', async () => {
    const set = evaluationSetOf([{ history: [], target: 1 }]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
      k: 2,
    });

    expect(report.full.hitRate).toBe(1);
    expect(report.full.ndcg).toBe(1);
    expect(report.full.mrr).toBe(1);
  });

  it('scores a rank-3 target', async () => {
    const set = evaluationSetOf([{ history: [], target: 3 }]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
    });

    expect(Array.from(report.fullRanks)).toEqual([3]);
    expect(report.full.ndcg).toBeCloseTo(1 / Math.log2(4), 12);
    expect(report.full.mrr).toBeCloseTo(1 / 3, 12);
  });

  it('removes history items from the ranking', async () => {
    const set = evaluationSetOf([{ history: [1, 2], target: 3 }]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
      k: 1,
    });

    expect(Array.from(report.fullRanks)).toEqual([1]);
    expect(report.full.hitRate).toBe(1);
  });

  it('keeps a repeated target rankable', async () => {
    const set = evaluationSetOf([{ history: [1, 2], target: 2 }]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
    });

    expect(Array.from(report.fullRanks)).toEqual([1]);
  });

  it('averages over users', async () => {
    const set = evaluationSetOf([
      { history: [], target: 1 },
      { history: [], target: 3 },
      { history: [], target: 6 },
    ]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
      k: 3,
    });

    expect(report.full.userCount).toBe(3);
    expect(report.full.hitRate).toBeCloseTo(2 / 3, 12);
    expect(report.full.ndcg).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(report.full.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 6) / 3, 12);
  });

  it('measures coverage and mean popularity', async () => {
    const set = evaluationSetOf([
      { history: [], target: 1 },
      { history: [1], target: 2 },
    ]);

    const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
      itemPopularity: POPULARITY,
      k: 2,
    });

    // Lists: [1, 2] and [2, 3], so 3 of 6 items and popularity (60 + 50 + 50 + 40) / 4.
    expect(report.full.coverage).toBe(0.5);
    expect(report.full.meanPopularity).toBe(50);
  });

  it('gives the same result in any batch size', async () => {
    const users = Array.from({ length: 7 }, (_, user) => ({
      history: [1 + (user % 3)],
      target: 1 + ((user + 2) % 6),
    }));
    const calls: number[] = [];

    const whole = await evaluateRanking(
      fixedScorer(DESCENDING),
      evaluationSetOf(users),
      ITEM_COUNT,
      {
        itemPopularity: POPULARITY,
        sampledNegatives: 3,
      },
    );
    const batched = await evaluateRanking(
      fixedScorer(DESCENDING, calls),
      evaluationSetOf(users),
      ITEM_COUNT,
      {
        itemPopularity: POPULARITY,
        sampledNegatives: 3,
        batchSize: 3,
      },
    );

    expect(calls).toEqual([3, 3, 1]);
    expect(batched).toEqual(whole);
  });

  it('rejects a wrongly shaped score array', async () => {
    const scorer: Scorer = () => Promise.resolve(new Float32Array(ITEM_COUNT));
    const set = evaluationSetOf([{ history: [], target: 1 }]);

    await expect(
      evaluateRanking(scorer, set, ITEM_COUNT, { itemPopularity: POPULARITY }),
    ).rejects.toThrow('scorer returned 6 scores for 1 users, expected 7');
  });

  it('rejects NaN scores', async () => {
    const set = evaluationSetOf([{ history: [], target: 1 }]);

    await expect(
      evaluateRanking(fixedScorer([0, 1, NaN, 3, 4, 5, 6]), set, ITEM_COUNT, {
        itemPopularity: POPULARITY,
      }),
    ).rejects.toThrow('scorer returned NaN for item 2 of user position 0');
  });

  describe('sampled mode', () => {
    it('ranks among the negatives only', async () => {
      const set = evaluationSetOf([{ history: [], target: 6 }]);

      const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
        itemPopularity: POPULARITY,
        sampledNegatives: 2,
      });

      // Every other item outscores item 6, so it ranks behind both negatives.
      expect(report.sampled?.mrr).toBeCloseTo(1 / 3, 12);
      expect(report.sampled?.negatives).toBe(2);
      expect(report.full.mrr).toBeCloseTo(1 / 6, 12);
    });

    it('excludes history from negatives', async () => {
      // Items 1 to 4 outscore the target but are history, so the only negative left is item 6.
      const set = evaluationSetOf([{ history: [1, 2, 3, 4], target: 5 }]);

      const report = await evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
        itemPopularity: POPULARITY,
        sampledNegatives: 1,
      });

      expect(report.sampled?.hitRate).toBe(1);
      expect(report.sampled?.mrr).toBe(1);
    });

    it('repeats with the same seed', async () => {
      const users = Array.from({ length: 20 }, (_, user) => ({
        history: [1],
        target: 2 + (user % 5),
      }));
      const options = { itemPopularity: POPULARITY, sampledNegatives: 2, seed: 7 };

      const first = await evaluateRanking(
        fixedScorer(DESCENDING),
        evaluationSetOf(users),
        ITEM_COUNT,
        options,
      );
      const second = await evaluateRanking(
        fixedScorer(DESCENDING),
        evaluationSetOf(users),
        ITEM_COUNT,
        options,
      );

      expect(second.sampled).toEqual(first.sampled);
    });

    it('rejects more negatives than candidates', async () => {
      const set = evaluationSetOf([{ history: [1, 2, 3], target: 4 }]);

      await expect(
        evaluateRanking(fixedScorer(DESCENDING), set, ITEM_COUNT, {
          itemPopularity: POPULARITY,
          sampledNegatives: 3,
        }),
      ).rejects.toThrow('user position 0: cannot sample 3 negatives: only 2 items');
    });
  });
});
