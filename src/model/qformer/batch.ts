import { endianness } from 'node:os';
import { Feed } from '../engine/session';
import { Rng } from '../engine/random';
import { QFormerConfig, usesFullSoftmax } from './config';
import { HISTORY_ITEM_OFFSET } from './layers';

/** A user's interactions in time order: item indices 1..N and optional event types 1..T. */
export interface InteractionSequence {
  items: Int32Array;
  /** Event type of each interaction; every interaction has type 1 when absent. */
  eventTypes?: Int32Array;
}

/** History windows as the graphs take them, right-aligned in `maxLength` slots. */
export interface HistoryFeeds {
  items: BigInt64Array;
  eventTypes: BigInt64Array;
  lengths: BigInt64Array;
}

/**
 * Right-aligns the last `length` interactions before position `end` of each sequence into
 * windows of `L` slots. Padding slots hold 0.
 */
export function packHistories(
  sequences: readonly InteractionSequence[],
  L: number,
  ends: readonly number[] = sequences.map((sequence) => sequence.items.length),
): HistoryFeeds {
  const B = sequences.length;
  const items = new BigInt64Array(B * L);
  const eventTypes = new BigInt64Array(B * L);
  const lengths = new BigInt64Array(B);
  sequences.forEach((sequence, b) => {
    const end = ends[b];
    const length = Math.min(end, L);
    lengths[b] = BigInt(length);
    for (let k = 0; k < length; k += 1) {
      const position = end - length + k;
      const slot = b * L + (L - length + k);
      items[slot] = BigInt(sequence.items[position]);
      eventTypes[slot] = BigInt(sequence.eventTypes?.[position] ?? 1);
    }
  });
  return { items, eventTypes, lengths };
}

/** Feeds of the history inputs, with dims for the symbolic batch dimension. */
export function historyFeeds(histories: HistoryFeeds, L: number): Record<string, Feed> {
  const B = histories.lengths.length;
  return {
    items: { data: histories.items, dims: [B, L] },
    event_types: { data: histories.eventTypes, dims: [B, L] },
    lengths: { data: histories.lengths, dims: [B] },
  };
}

/**
 * Draws shared negatives for the sampled softmax from the training item counts, with
 * probability proportional to count + 1, and reports log-probabilities for the log-Q
 * correction.
 */
export class NegativeSampler {
  private readonly cumulative: Float64Array;
  readonly logProbabilities: Float32Array;

  constructor(itemCounts: Int32Array) {
    const itemCount = itemCounts.length - 1;
    this.cumulative = new Float64Array(itemCount + 1);
    this.logProbabilities = new Float32Array(itemCount + 1);
    let total = 0;
    for (let item = 1; item <= itemCount; item += 1) {
      total += itemCounts[item] + 1;
      this.cumulative[item] = total;
    }
    for (let item = 1; item <= itemCount; item += 1) {
      this.logProbabilities[item] = Math.log((itemCounts[item] + 1) / total);
    }
  }

  /** Draws `count` item indices with replacement. */
  sample(rng: Rng, count: number): Int32Array {
    const total = this.cumulative[this.cumulative.length - 1];
    const result = new Int32Array(count);
    for (let i = 0; i < count; i += 1) {
      result[i] = this.find(rng.next() * total);
    }
    return result;
  }

  private find(value: number): number {
    let low = 1;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle] > value) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return low;
  }
}

/** One training step's feeds and its size. */
export interface TrainingBatch {
  feeds: Record<string, Feed>;
  /** Window length W of the histories; the step runs the graph built for it. */
  windowLength: number;
  sequenceCount: number;
  targetCount: number;
}

/**
 * Turns sequences into training batches. Each sequence contributes its last `L + 1`
 * interactions: slot t contains an input interaction and its target is the next item, so every
 * non-padding slot has a target and padding slots have none.
 */
export class TrainingBatchBuilder {
  private readonly allRows: BigInt64Array;
  private readonly full: boolean;

  constructor(
    private readonly config: QFormerConfig,
    itemCount: number,
    private readonly batchSize: number,
    private readonly sampler?: NegativeSampler,
  ) {
    this.full = usesFullSoftmax(config, itemCount);
    this.allRows = BigInt64Array.from({ length: itemCount + 1 }, (_value, row) => BigInt(row));
    if (!this.full && sampler === undefined) {
      throw new Error('sampled softmax needs a NegativeSampler');
    }
  }

  /**
   * Builds one batch of at most `batchSize` sequences; the rest of the batch is filled with
   * empty windows. A sequence shorter than 2 interactions has no target and adds nothing.
   */
  build(
    batch: readonly InteractionSequence[],
    rng: Rng,
    windowLength = this.config.maxLength,
  ): TrainingBatch {
    if (batch.length > this.batchSize) {
      throw new Error(`batch of ${batch.length} sequences exceeds batch size ${this.batchSize}`);
    }
    const L = windowLength;
    const empty: InteractionSequence = { items: new Int32Array(0) };
    const sequences = [
      ...batch,
      ...Array<InteractionSequence>(this.batchSize - batch.length).fill(empty),
    ];
    const histories = packHistories(
      sequences,
      L,
      sequences.map((sequence) => Math.max(sequence.items.length - 1, 0)),
    );
    if (this.config.itemDropout > 0) {
      dropHistoryItems(histories, this.config.itemDropout, rng);
    }

    const slots: number[] = [];
    const targets: number[] = [];
    sequences.forEach((sequence, b) => {
      const n = sequence.items.length;
      const length = Number(histories.lengths[b]);
      for (let k = 0; k < length; k += 1) {
        slots.push(b * L + (L - length + k));
        targets.push(sequence.items[n - length + k]);
      }
    });
    const feeds: Record<string, Feed> = {
      ...historyFeeds(histories, L),
      target_slots: BigInt64Array.from(slots, BigInt),
    };
    if (this.full) {
      feeds.target_items = BigInt64Array.from(targets, BigInt);
      feeds.item_rows = this.allRows;
      if (this.config.maskHistoryItems) {
        Object.assign(feeds, historyItemFeeds(sequences, histories.lengths));
      }
    } else {
      this.addSampledFeeds(feeds, histories.items, targets, rng);
    }
    return {
      feeds,
      windowLength,
      sequenceCount: batch.length,
      targetCount: targets.length,
    };
  }

  private addSampledFeeds(
    feeds: Record<string, Feed>,
    inputItems: BigInt64Array,
    targets: number[],
    rng: Rng,
  ): void {
    const sampler = this.sampler as NegativeSampler;
    const negatives = sampler.sample(rng, this.config.sampledNegatives);
    feeds.target_items = BigInt64Array.from(targets, BigInt);
    feeds.target_log_q = Float32Array.from(targets, (item) => sampler.logProbabilities[item]);
    feeds.negatives = BigInt64Array.from(negatives, BigInt);
    feeds.negative_log_q = Float32Array.from(negatives, (item) => sampler.logProbabilities[item]);

    const touched = new Set<number>([0]);
    inputItems.forEach((item) => touched.add(Number(item)));
    targets.forEach((item) => touched.add(item));
    negatives.forEach((item) => touched.add(item));
    feeds.item_rows = BigInt64Array.from(
      [...touched].sort((a, b) => a - b),
      BigInt,
    );
  }
}

/**
 * Replaces each input item of the packed windows with the mask item 0 with probability
 * `ratio` (item dropout). Padding slots already contain 0, and lengths, event types and
 * targets stay as they are.
 */
export function dropHistoryItems(histories: HistoryFeeds, ratio: number, rng: Rng): void {
  const { items } = histories;
  for (let slot = 0; slot < items.length; slot += 1) {
    if (items[slot] !== 0n && rng.next() < ratio) {
      items[slot] = 0n;
    }
  }
}

/**
 * Feeds of `maskHistoryItems`: a [target, item - 1] pair for every item earlier in a target's
 * window, other than the target itself, each with HISTORY_ITEM_OFFSET. Targets are numbered
 * in the order of `target_slots`.
 */
export function historyItemFeeds(
  sequences: readonly InteractionSequence[],
  lengths: BigInt64Array,
): Record<string, Feed> {
  const pairs: number[] = [];
  let target = 0;
  sequences.forEach((sequence, b) => {
    const n = sequence.items.length;
    const length = Number(lengths[b]);
    const seen = new Set<number>();
    for (let k = 0; k < length; k += 1) {
      seen.add(sequence.items[n - 1 - length + k]);
      const next = sequence.items[n - length + k];
      for (const item of seen) {
        if (item !== next) {
          pairs.push(target, item - 1);
        }
      }
      target += 1;
    }
  });
  const count = pairs.length / 2;
  return {
    history_item_pairs: { data: toInt64(pairs), dims: [count, 2] },
    history_item_offsets: new Float32Array(count).fill(HISTORY_ITEM_OFFSET),
  };
}

/**
 * Converts non-negative int32 values to int64. A window of 200 slots yields about 20,000
 * pairs, and BigInt64Array.from took 200 ms for 32 such windows (Node.js 20, 2 AMD EPYC
 * cores under load). So on little-endian machines this writes the low 32-bit words directly
 * and leaves the high words 0.
 */
function toInt64(values: readonly number[]): BigInt64Array {
  if (endianness() !== 'LE') {
    return BigInt64Array.from(values, BigInt);
  }
  const words = new Int32Array(values.length * 2);
  values.forEach((value, index) => (words[2 * index] = value));
  return new BigInt64Array(words.buffer);
}
