import { createRng } from '../engine/random';
import { Feed } from '../engine/session';
import { TensorData } from '../engine/tensor';
import { InteractionSequence, TrainingBatchBuilder } from './batch';
import { QFormerConfig, resolveConfig } from './config';

const ITEM_COUNT = 50;
const L = 40;

const config = (itemDropout: number): QFormerConfig =>
  resolveConfig({ dim: 8, maxLength: L, heads: 2, itemDropout });

/** 16 sequences of 3 to 48 interactions, so some windows are full and some padded. */
const sequences: InteractionSequence[] = Array.from({ length: 16 }, (_value, user) => ({
  items: Int32Array.from({ length: 3 + 3 * user }, (_item, k) => 1 + ((user * 7 + k) % ITEM_COUNT)),
}));

function build(itemDropout: number, seed: number): Record<string, Feed> {
  return new TrainingBatchBuilder(config(itemDropout), ITEM_COUNT, sequences.length).build(
    sequences,
    createRng(seed),
  ).feeds;
}

const feedData = (feed: Feed): TensorData => ('data' in feed ? feed.data : feed);

describe('TrainingBatchBuilder item dropout', () => {
  const plain = build(0, 1);
  const dropped = build(0.3, 1);
  const plainItems = feedData(plain.items) as BigInt64Array;
  const droppedItems = feedData(dropped.items) as BigInt64Array;

  it('masks about the configured ratio', () => {
    const inputs = plainItems.filter((item) => item !== 0n).length;
    const masked = droppedItems.filter((item, slot) => item === 0n && plainItems[slot] !== 0n);

    // 380 input slots: a ratio of 0.3 masks 114 on average, with a standard deviation of 9.
    expect(inputs).toBe(380);
    expect(masked.length / inputs).toBeGreaterThan(0.22);
    expect(masked.length / inputs).toBeLessThan(0.38);
  });

  it('keeps the other feeds unchanged', () => {
    const changed = droppedItems.filter((item, slot) => item !== 0n && item !== plainItems[slot]);

    expect(changed).toHaveLength(0);
    for (const name of [
      'lengths',
      'event_types',
      'target_slots',
      'target_items',
      'history_item_pairs',
    ]) {
      expect(feedData(dropped[name])).toEqual(feedData(plain[name]));
    }
  });

  it('repeats its mask for a seed', () => {
    expect(feedData(build(0.3, 1).items)).toEqual(droppedItems);
    expect(feedData(build(0.3, 2).items)).not.toEqual(droppedItems);
  });
});
