import { SequenceDataset, SequenceDatasetBuilder } from '../model/data/sequence-dataset';
import { holdOutLastInteractions } from './train-from-database';

/** Five users with 1 to 5 interactions; user k's items are 10k+1, 10k+2, … */
function dataset(): SequenceDataset {
  const builder = new SequenceDatasetBuilder();
  for (let user = 1; user <= 5; user += 1) {
    builder.add(
      `u${user}`,
      Int32Array.from({ length: user }, (_value, index) => 10 * user + index + 1),
    );
  }
  return builder.build();
}

function sequences(data: SequenceDataset): Map<string, number[]> {
  const byUser = new Map<string, number[]>();
  for (let user = 0; user < data.userCount; user += 1) {
    byUser.set(data.userId(user), Array.from(data.sequence(user)));
  }
  return byUser;
}

describe('holdOutLastInteractions', () => {
  it('holds out one item of sampled users', () => {
    const split = holdOutLastInteractions(dataset(), 2, 7);
    const validationUsers = sequences(split.validation.histories);
    const train = sequences(split.train);

    expect(validationUsers.size).toBe(2);
    expect(validationUsers.has('u1')).toBe(false);
    expect(train.size).toBe(5);
    for (const [userId, history] of validationUsers) {
      const user = Number(userId.slice(1));
      const position = [...validationUsers.keys()].indexOf(userId);
      expect(split.validation.targets[position]).toBe(10 * user + user);
      expect(history).toHaveLength(user - 1);
      expect(train.get(userId)).toEqual(history);
    }
  });

  it('keeps other users whole', () => {
    const split = holdOutLastInteractions(dataset(), 2, 7);
    const validationUsers = sequences(split.validation.histories);
    const train = sequences(split.train);

    for (const [userId, sequence] of train) {
      if (!validationUsers.has(userId)) {
        expect(sequence).toHaveLength(Number(userId.slice(1)));
      }
    }
  });

  it('draws the same users for a seed', () => {
    const first = sequences(holdOutLastInteractions(dataset(), 2, 7).validation.histories);
    const second = sequences(holdOutLastInteractions(dataset(), 2, 7).validation.histories);

    expect([...second.keys()]).toEqual([...first.keys()]);
  });

  it('caps the count at eligible users', () => {
    const split = holdOutLastInteractions(dataset(), 100, 7);

    expect(split.validation.targets).toHaveLength(4);
  });
});
