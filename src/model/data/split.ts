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
