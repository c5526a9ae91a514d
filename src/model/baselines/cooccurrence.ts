import { SequenceDataset } from '../data/sequence-dataset';
import { Scorer } from '../eval/scorer';

export interface CooccurrenceOptions {
  /**
   * Two interactions co-occur when at most `windowSize` - 1 items separate them in a training
   * sequence, in either order. Default 5.
   */
  windowSize?: number;
  /** Number of most recent history items that score candidates. Default 3. */
  recentItems?: number;
}

const DEFAULT_WINDOW_SIZE = 5;
const DEFAULT_RECENT_ITEMS = 3;

/**
 * Item-to-item co-occurrence recommender. Fitting counts how often two items occur close
 * together in training sequences. A candidate's score is the sum of its co-occurrence counts
 * with the user's last few items, weighted by recency: 1 for the last item, 1/2 for the one
 * before it, and so on.
 *
 * Candidates with equal co-occurrence scores, such as those that co-occur with none of those
 * items, are ordered by popularity: each score gets a popularity term smaller than the
 * smallest difference between two distinct co-occurrence scores, so it only breaks ties.
 */
export class CooccurrenceRecommender {
  readonly name = 'cooccurrence';

  private constructor(
    private readonly itemCount: number,
    private readonly recentItems: number,
    private readonly neighbours: SparseRows,
    private readonly popularityTieBreak: Float32Array,
  ) {}

  static fit(
    train: SequenceDataset,
    itemCount: number,
    options: CooccurrenceOptions = {},
  ): CooccurrenceRecommender {
    const windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    const recentItems = options.recentItems ?? DEFAULT_RECENT_ITEMS;
    requirePositiveInteger('window size', windowSize);
    requirePositiveInteger('number of recent items', recentItems);

    const neighbours = countCooccurrences(train, itemCount, windowSize);
    // Scores are sums of count / (step + 1) for steps below recentItems, so two distinct
    // scores differ by at least 1 / lcm(1..recentItems).
    const smallestScoreGap = 1 / leastCommonMultipleUpTo(recentItems);
    const tieBreak = popularityTieBreak(train.itemCounts(itemCount), smallestScoreGap);
    return new CooccurrenceRecommender(itemCount, recentItems, neighbours, tieBreak);
  }

  /** Number of distinct co-occurring item pairs, counting both orders. */
  get pairCount(): number {
    return this.neighbours.columns.length;
  }

  readonly score: Scorer = (histories) => {
    const rowLength = this.itemCount + 1;
    const scores = new Float32Array(histories.length * rowLength);
    histories.forEach((history, user) => {
      const row = scores.subarray(user * rowLength, (user + 1) * rowLength);
      row.set(this.popularityTieBreak);
      this.addNeighbourScores(row, history);
    });
    return Promise.resolve(scores);
  };

  private addNeighbourScores(row: Float32Array, history: Int32Array): void {
    const recent = Math.min(this.recentItems, history.length);
    for (let step = 0; step < recent; step += 1) {
      const item = history[history.length - 1 - step];
      const weight = 1 / (step + 1);
      const { offsets, columns, counts } = this.neighbours;
      for (let entry = offsets[item]; entry < offsets[item + 1]; entry += 1) {
        row[columns[entry]] += weight * counts[entry];
      }
    }
  }
}

/** Compressed sparse rows: item i's neighbours are `columns[offsets[i]..offsets[i + 1])`. */
interface SparseRows {
  offsets: Int32Array;
  columns: Int32Array;
  counts: Float32Array;
}

function countCooccurrences(
  train: SequenceDataset,
  itemCount: number,
  windowSize: number,
): SparseRows {
  const rows: Array<Map<number, number>> = Array.from(
    { length: itemCount + 1 },
    () => new Map<number, number>(),
  );
  for (let user = 0; user < train.userCount; user += 1) {
    const sequence = train.sequence(user);
    for (let first = 0; first < sequence.length; first += 1) {
      const last = Math.min(sequence.length, first + windowSize);
      for (let second = first + 1; second < last; second += 1) {
        const a = sequence[first];
        const b = sequence[second];
        if (a !== b) {
          rows[a].set(b, (rows[a].get(b) ?? 0) + 1);
          rows[b].set(a, (rows[b].get(a) ?? 0) + 1);
        }
      }
    }
  }
  return toSparseRows(rows);
}

function toSparseRows(rows: Array<Map<number, number>>): SparseRows {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, item) => {
    offsets[item + 1] = offsets[item] + row.size;
  });
  const columns = new Int32Array(offsets[rows.length]);
  const counts = new Float32Array(offsets[rows.length]);
  rows.forEach((row, item) => {
    let entry = offsets[item];
    for (const [neighbour, count] of row) {
      columns[entry] = neighbour;
      counts[entry] = count;
      entry += 1;
    }
  });
  return { offsets, columns, counts };
}

/** Scales popularity into [0, scoreGap / 2], so that it never outweighs a co-occurrence gap. */
function popularityTieBreak(counts: Int32Array, scoreGap: number): Float32Array {
  let maxCount = 0;
  for (const count of counts) {
    maxCount = Math.max(maxCount, count);
  }
  const scale = maxCount === 0 ? 0 : scoreGap / 2 / maxCount;
  return Float32Array.from(counts, (count) => count * scale);
}

function leastCommonMultipleUpTo(n: number): number {
  let multiple = 1;
  for (let value = 2; value <= n; value += 1) {
    multiple = (multiple * value) / greatestCommonDivisor(multiple, value);
  }
  return multiple;
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`invalid ${name}: ${value} (expected a positive integer)`);
  }
}
