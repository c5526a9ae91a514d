import { SequenceDataset, SequenceDatasetBuilder } from './sequence-dataset';
import { leaveOneOutSplit } from './split';

function datasetOf(sequences: Record<string, number[]>): SequenceDataset {
  const builder = new SequenceDatasetBuilder();
  for (const [userId, items] of Object.entries(sequences)) {
    builder.add(userId, items);
  }
  return builder.build();
}

describe('SequenceDataset', () => {
  it('packs sequences with offsets', () => {
    const dataset = datasetOf({ a: [1, 2, 3], b: [], c: [4] });

    expect(dataset.userCount).toBe(3);
    expect(dataset.interactionCount).toBe(4);
    expect(Array.from(dataset.sequence(0))).toEqual([1, 2, 3]);
    expect(Array.from(dataset.sequence(1))).toEqual([]);
    expect(Array.from(dataset.sequence(2))).toEqual([4]);
    expect(dataset.userId(2)).toBe('c');
  });

  it('counts item interactions', () => {
    const dataset = datasetOf({ a: [1, 2, 2], b: [2, 3] });

    expect(Array.from(dataset.itemCounts(4))).toEqual([0, 1, 3, 1, 0]);
  });

  it('grows past its initial buffer', () => {
    const builder = new SequenceDatasetBuilder();
    const long = Array.from({ length: 70_000 }, (_, position) => (position % 5) + 1);
    for (let user = 0; user < 2000; user += 1) {
      builder.add(String(user), [1]);
    }
    builder.add('long', long);

    const dataset = builder.build();

    expect(dataset.userCount).toBe(2001);
    expect(dataset.sequence(2000).length).toBe(70_000);
    expect(dataset.sequence(2000)[69_999]).toBe(5);
  });

  it('rejects the padding index', () => {
    const builder = new SequenceDatasetBuilder();

    expect(() => builder.add('a', [1, 0])).toThrow(
      'user "a": invalid item index 0 (expected 1 or more)',
    );
  });

  it('rejects offsets that do not end at the item count', () => {
    expect(() =>
      SequenceDataset.fromPacked(['a'], Int32Array.from([0, 2]), Int32Array.from([1])),
    ).toThrow('offsets must start at 0 and end at 1');
  });
});

describe('leaveOneOutSplit', () => {
  const split = leaveOneOutSplit(datasetOf({ u1: [1, 2, 3, 4, 5], u2: [6, 7], u3: [3, 2, 1] }));

  it('keeps all but the last two for training', () => {
    expect(Array.from(split.train.sequence(0))).toEqual([1, 2, 3]);
    expect(Array.from(split.train.sequence(2))).toEqual([3]);
  });

  it('takes the second-to-last as validation target', () => {
    expect(Array.from(split.validation.targets)).toEqual([4, 2]);
    expect(Array.from(split.validation.histories.sequence(0))).toEqual([1, 2, 3]);
  });

  it('takes the last as test target', () => {
    expect(Array.from(split.test.targets)).toEqual([5, 1]);
    expect(Array.from(split.test.histories.sequence(0))).toEqual([1, 2, 3, 4]);
    expect(Array.from(split.test.histories.sequence(1))).toEqual([3, 2]);
  });

  it('keeps short users in training only', () => {
    expect(split.trainOnlyUserCount).toBe(1);
    expect(split.train.userId(1)).toBe('u2');
    expect(Array.from(split.train.sequence(1))).toEqual([6, 7]);
    expect(split.validation.histories.userCount).toBe(2);
    expect(split.test.histories.userId(1)).toBe('u3');
  });
});
