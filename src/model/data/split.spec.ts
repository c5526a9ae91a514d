import { SequenceDataset, SequenceDatasetBuilder } from './sequence-dataset';
import { holdoutSplit, leaveOneOutSplit, usersOfEvaluationSet } from './split';

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

describe('holdoutSplit', () => {
  const train = datasetOf({
    a: [1, 2, 3, 4],
    b: [5, 6, 7],
    c: [1, 2],
    d: [3, 4, 5, 6],
    e: [7, 1, 2],
  });

  it('moves the last item of drawn users out of training', () => {
    const split = holdoutSplit(train, 2, seededRandom(1), new Set([0]));

    expect(split.holdout.targets).toHaveLength(2);
    expect(split.train.userCount).toBe(5);
    expect(split.train.interactionCount).toBe(train.interactionCount - 2);
    for (let user = 0; user < split.holdout.targets.length; user += 1) {
      const id = split.holdout.histories.userId(user);
      const position = ['a', 'b', 'c', 'd', 'e'].indexOf(id);
      const original = Array.from(train.sequence(position));
      expect(Array.from(split.holdout.histories.sequence(user))).toEqual(original.slice(0, -1));
      expect(split.holdout.targets[user]).toBe(original[original.length - 1]);
      expect(Array.from(split.train.sequence(position))).toEqual(original.slice(0, -1));
    }
  });

  it('never draws excluded users or users too short to evaluate', () => {
    const split = holdoutSplit(train, 10, seededRandom(2), new Set([0, 3]));

    const drawn = Array.from({ length: split.holdout.targets.length }, (_, user) =>
      split.holdout.histories.userId(user),
    );
    expect(drawn.sort()).toEqual(['b', 'e']);
    expect(Array.from(split.train.sequence(0))).toEqual([1, 2, 3, 4]);
    expect(Array.from(split.train.sequence(2))).toEqual([1, 2]);
    expect(Array.from(split.train.sequence(3))).toEqual([3, 4, 5, 6]);
  });
});

describe('usersOfEvaluationSet', () => {
  it('matches evaluation users in training', () => {
    const train = datasetOf({ a: [1, 2, 3], b: [4, 5], c: [6, 7, 1] });
    const set = {
      histories: datasetOf({ x: [1, 2, 3, 9], y: [6, 7, 1] }),
      targets: Int32Array.from([4, 2]),
    };

    expect([...usersOfEvaluationSet(train, set)].sort()).toEqual([0, 2]);
  });
});

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}
