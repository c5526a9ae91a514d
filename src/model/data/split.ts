import { SequenceDataset, SequenceDatasetBuilder } from './sequence-dataset';

/**
 * Users to evaluate: each user's history (in time order) and the item index that followed it.
 * `targets[u]` belongs to `histories.sequence(u)`.
 */
export interface EvaluationSet {
  histories: SequenceDataset;
  targets: Int32Array;
}

export interface LeaveOneOutSplit {
  /** Each evaluated user's items except the last two, plus every item of shorter users. */
  train: SequenceDataset;
  /** History: all but the last two items. Target: the second-to-last item. */
  validation: EvaluationSet;
  /** History: all but the last item. Target: the last item. */
  test: EvaluationSet;
  /** Users with fewer than `MIN_ITEMS_FOR_EVALUATION` items, kept whole in `train` only. */
  trainOnlyUserCount: number;
}

/**
 * Minimum sequence length for a user to enter validation and test: one training item, one
 * validation target and one test target.
 */
export const MIN_ITEMS_FOR_EVALUATION = 3;

/**
 * Splits each user's sequence leave-one-out: the last item is the test target, the
 * second-to-last the validation target, and the rest is training data. Users with fewer than
 * `MIN_ITEMS_FOR_EVALUATION` items go to training whole and are not evaluated.
 */
export function leaveOneOutSplit(dataset: SequenceDataset): LeaveOneOutSplit {
  const train = new SequenceDatasetBuilder();
  const validationHistories = new SequenceDatasetBuilder();
  const testHistories = new SequenceDatasetBuilder();
  const validationTargets: number[] = [];
  const testTargets: number[] = [];
  let trainOnlyUserCount = 0;

  for (let user = 0; user < dataset.userCount; user += 1) {
    const userId = dataset.userId(user);
    const sequence = dataset.sequence(user);
    const length = sequence.length;
    if (length < MIN_ITEMS_FOR_EVALUATION) {
      train.add(userId, sequence);
      trainOnlyUserCount += 1;
      continue;
    }

    train.add(userId, sequence.subarray(0, length - 2));
    validationHistories.add(userId, sequence.subarray(0, length - 2));
    validationTargets.push(sequence[length - 2]);
    testHistories.add(userId, sequence.subarray(0, length - 1));
    testTargets.push(sequence[length - 1]);
  }

  return {
    train: train.build(),
    validation: {
      histories: validationHistories.build(),
      targets: Int32Array.from(validationTargets),
    },
    test: { histories: testHistories.build(), targets: Int32Array.from(testTargets) },
    trainOnlyUserCount,
  };
}

export interface HoldoutSplit {
  /** The training sequences with each held-out user's last item removed. */
  train: SequenceDataset;
  /** History: a held-out user's training sequence without its last item. Target: that item. */
  holdout: EvaluationSet;
}

/**
 * Holds out the last training item of up to `userCount` users, drawn at random (seeded), for
 * early stopping and model selection, so that the folder's own validation targets never
 * steer training. Users listed in `excluded` (by position) and users with fewer than
 * `MIN_ITEMS_FOR_EVALUATION` items are never drawn.
 */
export function holdoutSplit(
  train: SequenceDataset,
  userCount: number,
  random: () => number,
  excluded: ReadonlySet<number> = new Set(),
): HoldoutSplit {
  const candidates: number[] = [];
  for (let user = 0; user < train.userCount; user += 1) {
    if (!excluded.has(user) && train.sequence(user).length >= MIN_ITEMS_FOR_EVALUATION) {
      candidates.push(user);
    }
  }
  const chosen = new Set(sampleWithoutReplacement(candidates, userCount, random));
  const kept = new SequenceDatasetBuilder();
  const histories = new SequenceDatasetBuilder();
  const targets: number[] = [];
  for (let user = 0; user < train.userCount; user += 1) {
    const sequence = train.sequence(user);
    if (!chosen.has(user)) {
      kept.add(train.userId(user), sequence);
      continue;
    }
    const history = sequence.subarray(0, sequence.length - 1);
    kept.add(train.userId(user), history);
    histories.add(train.userId(user), history);
    targets.push(sequence[sequence.length - 1]);
  }
  return {
    train: kept.build(),
    holdout: { histories: histories.build(), targets: Int32Array.from(targets) },
  };
}

/**
 * Returns the positions of the training users who are also in an evaluation set. A user
 * matches when the training sequence equals the evaluation history or that history without
 * its last item, because the sequential ML-1M split keeps one more item of its validation
 * users out of `train.txt`.
 */
export function usersOfEvaluationSet(train: SequenceDataset, set: EvaluationSet): Set<number> {
  const keys = new Set<string>();
  for (const history of set.histories.sequences()) {
    keys.add(history.join(' '));
    keys.add(history.subarray(0, history.length - 1).join(' '));
  }
  const users = new Set<number>();
  for (let user = 0; user < train.userCount; user += 1) {
    if (keys.has(train.sequence(user).join(' '))) {
      users.add(user);
    }
  }
  return users;
}

function sampleWithoutReplacement(values: number[], count: number, random: () => number): number[] {
  const pool = [...values];
  const size = Math.min(count, pool.length);
  for (let index = 0; index < size; index += 1) {
    const pick = index + Math.floor(random() * (pool.length - index));
    [pool[index], pool[pick]] = [pool[pick], pool[index]];
  }
  return pool.slice(0, size);
}
