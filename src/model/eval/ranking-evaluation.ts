import { EvaluationSet } from '../data/split';
import { hitRate, ndcg, reciprocalRank } from './metrics';
import { sampleNegatives } from './negative-sampling';
import { SeededRandom } from './random';
import { Scorer } from './scorer';
import { ranksBefore, selectTopK } from './top-k';

export interface EvaluationOptions {
  /** Training interaction count per item index, length N + 1; gives mean popularity. */
  itemPopularity: Int32Array;
  /** Cut-off of HR@K and NDCG@K and length of the recommended lists. Default 10. */
  k?: number;
  /** Users per scorer call. Default 256. */
  batchSize?: number;
  /** Negatives per user for sampled ranking; 0 turns sampled ranking off. Default 0. */
  sampledNegatives?: number;
  /** Seed of the negative sampler. Default 42. */
  seed?: number;
}

/** Means over the evaluated users. */
export interface RankingMetrics {
  userCount: number;
  /** HR@K: share of users whose target ranks in the top K. */
  hitRate: number;
  /** NDCG@K with one relevant item per user. */
  ndcg: number;
  /** Mean reciprocal rank of the target, from its full rank. */
  mrr: number;
}

export interface FullRankingMetrics extends RankingMetrics {
  /** Catalogue coverage: distinct items in all top-K lists divided by N. */
  coverage: number;
  /** Mean training interaction count of the recommended items, over all top-K entries. */
  meanPopularity: number;
}

export interface SampledRankingMetrics extends RankingMetrics {
  negatives: number;
  seed: number;
}

export interface EvaluationReport {
  k: number;
  itemCount: number;
  full: FullRankingMetrics;
  /** Present when `sampledNegatives` > 0. */
  sampled?: SampledRankingMetrics;
  /** Full rank (1-based) of each user's target, in evaluation-set order. */
  fullRanks: Int32Array;
}

const DEFAULT_K = 10;
const DEFAULT_BATCH_SIZE = 256;
const DEFAULT_SEED = 42;

/**
 * Evaluates a scorer on an evaluation set by full ranking over all N items, and optionally by
 * sampled ranking against seeded random negatives, from the same scores.
 *
 * Each user's history items are removed from the ranking, except the target itself when the
 * user interacted with it before, so a repeat interaction can still be a hit. Padding
 * (index 0) is never ranked. Ties are broken by the lower item index.
 */
export async function evaluateRanking(
  scorer: Scorer,
  evaluationSet: EvaluationSet,
  itemCount: number,
  options: EvaluationOptions,
): Promise<EvaluationReport> {
  const settings = resolveOptions(options, itemCount);
  const { histories, targets } = evaluationSet;
  if (targets.length !== histories.userCount) {
    throw new Error(
      `evaluation set has ${histories.userCount} histories but ${targets.length} targets`,
    );
  }

  const accumulator = new RankingAccumulator(itemCount, settings);
  for (let start = 0; start < histories.userCount; start += settings.batchSize) {
    const batch = histories.sequences(start, start + settings.batchSize);
    const scores = await scorer(batch);
    checkScoresShape(scores, batch.length, itemCount);
    batch.forEach((history, offset) => {
      const row = scores.subarray(offset * (itemCount + 1), (offset + 1) * (itemCount + 1));
      accumulator.addUser(row, history, targets[start + offset]);
    });
  }
  return accumulator.report();
}

type ResolvedOptions = Required<EvaluationOptions>;

function resolveOptions(options: EvaluationOptions, itemCount: number): ResolvedOptions {
  const settings: ResolvedOptions = {
    itemPopularity: options.itemPopularity,
    k: options.k ?? DEFAULT_K,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    sampledNegatives: options.sampledNegatives ?? 0,
    seed: options.seed ?? DEFAULT_SEED,
  };
  if (!Number.isInteger(settings.k) || settings.k < 1) {
    throw new Error(`invalid k: ${settings.k} (expected a positive integer)`);
  }
  if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
    throw new Error(`invalid batch size: ${settings.batchSize} (expected a positive integer)`);
  }
  if (!Number.isInteger(settings.sampledNegatives) || settings.sampledNegatives < 0) {
    throw new Error(
      `invalid number of sampled negatives: ${settings.sampledNegatives} (expected 0 or more)`,
    );
  }
  if (settings.itemPopularity.length !== itemCount + 1) {
    throw new Error(
      `item popularity has length ${settings.itemPopularity.length}, expected ${itemCount + 1}`,
    );
  }
  return settings;
}

function checkScoresShape(scores: Float32Array, batchSize: number, itemCount: number): void {
  const expected = batchSize * (itemCount + 1);
  if (scores.length !== expected) {
    throw new Error(
      `scorer returned ${scores.length} scores for ${batchSize} users, expected ` +
        `${expected} (${batchSize} x ${itemCount + 1} items including padding)`,
    );
  }
}

/** Accumulates per-user ranks and top-K lists into the metric means. */
class RankingAccumulator {
  private readonly excluded: Uint8Array;
  private readonly recommended: Uint8Array;
  private readonly random: SeededRandom;
  private readonly fullRanks: number[] = [];
  private readonly full = { hits: 0, ndcg: 0, reciprocalRanks: 0 };
  private readonly sampled = { hits: 0, ndcg: 0, reciprocalRanks: 0 };
  private recommendedEntries = 0;
  private popularitySum = 0;

  constructor(
    private readonly itemCount: number,
    private readonly settings: ResolvedOptions,
  ) {
    this.excluded = new Uint8Array(itemCount + 1);
    this.recommended = new Uint8Array(itemCount + 1);
    this.random = new SeededRandom(settings.seed);
  }

  addUser(row: Float32Array, history: Int32Array, target: number): void {
    if (target < 1 || target > this.itemCount) {
      throw new RangeError(`target item index ${target} is outside 1..${this.itemCount}`);
    }
    checkNoNaN(row, this.fullRanks.length);
    this.setHistory(history, target, 1);

    const rank = fullRank(row, target, this.excluded);
    this.fullRanks.push(rank);
    addRank(this.full, rank, this.settings.k);
    this.addRecommendations(selectTopK(row, this.settings.k, this.excluded));

    if (this.settings.sampledNegatives > 0) {
      const negatives = this.sampleNegativesFor(target);
      addRank(this.sampled, sampledRank(row, target, negatives), this.settings.k);
    }

    this.setHistory(history, target, 0);
  }

  report(): EvaluationReport {
    const userCount = this.fullRanks.length;
    const full: FullRankingMetrics = {
      ...meanMetrics(this.full, userCount),
      coverage: countMarked(this.recommended) / this.itemCount,
      meanPopularity:
        this.recommendedEntries === 0 ? 0 : this.popularitySum / this.recommendedEntries,
    };
    const sampled: SampledRankingMetrics | undefined =
      this.settings.sampledNegatives > 0
        ? {
            ...meanMetrics(this.sampled, userCount),
            negatives: this.settings.sampledNegatives,
            seed: this.settings.seed,
          }
        : undefined;
    return {
      k: this.settings.k,
      itemCount: this.itemCount,
      full,
      ...(sampled === undefined ? {} : { sampled }),
      fullRanks: Int32Array.from(this.fullRanks),
    };
  }

  private sampleNegativesFor(target: number): Int32Array {
    try {
      return sampleNegatives(
        this.random,
        this.itemCount,
        this.excluded,
        target,
        this.settings.sampledNegatives,
      );
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`user position ${this.fullRanks.length - 1}: ${message}`, { cause: error });
    }
  }

  private setHistory(history: Int32Array, target: number, value: 0 | 1): void {
    for (const item of history) {
      if (item < 1 || item > this.itemCount) {
        throw new RangeError(`history item index ${item} is outside 1..${this.itemCount}`);
      }
      this.excluded[item] = value;
    }
    this.excluded[target] = 0;
  }

  private addRecommendations(topK: Int32Array): void {
    for (const item of topK) {
      this.recommended[item] = 1;
      this.popularitySum += this.settings.itemPopularity[item];
    }
    this.recommendedEntries += topK.length;
  }
}

interface MetricSums {
  hits: number;
  ndcg: number;
  reciprocalRanks: number;
}

function addRank(sums: MetricSums, rank: number, k: number): void {
  sums.hits += hitRate(rank, k);
  sums.ndcg += ndcg(rank, k);
  sums.reciprocalRanks += reciprocalRank(rank);
}

function meanMetrics(sums: MetricSums, userCount: number): RankingMetrics {
  const divisor = Math.max(userCount, 1);
  return {
    userCount,
    hitRate: sums.hits / divisor,
    ndcg: sums.ndcg / divisor,
    mrr: sums.reciprocalRanks / divisor,
  };
}

/** Returns the 1-based rank of the target among all non-excluded items 1..N. */
function fullRank(row: Float32Array, target: number, excluded: Uint8Array): number {
  const targetScore = row[target];
  let rank = 1;
  for (let item = 1; item < row.length; item += 1) {
    if (excluded[item] !== 1 && ranksBefore(row[item], item, targetScore, target)) {
      rank += 1;
    }
  }
  return rank;
}

function sampledRank(row: Float32Array, target: number, negatives: Int32Array): number {
  const targetScore = row[target];
  let rank = 1;
  for (const item of negatives) {
    if (ranksBefore(row[item], item, targetScore, target)) {
      rank += 1;
    }
  }
  return rank;
}

/** Rejects NaN scores, which would make every comparison false and the rank meaningless. */
function checkNoNaN(row: Float32Array, userPosition: number): void {
  for (let item = 1; item < row.length; item += 1) {
    if (Number.isNaN(row[item])) {
      throw new Error(`scorer returned NaN for item ${item} of user position ${userPosition}`);
    }
  }
}

function countMarked(flags: Uint8Array): number {
  let count = 0;
  for (const flag of flags) {
    count += flag;
  }
  return count;
}
