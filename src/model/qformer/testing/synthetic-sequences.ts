import { ItemVocabulary } from '../../data/item-vocabulary';
import { SequenceDataset, SequenceDatasetBuilder } from '../../data/sequence-dataset';
import { leaveOneOutSplit } from '../../data/split';
import { createRng } from '../../engine/random';
import { TrainingData } from '../trainer';

export interface SyntheticOptions {
  users: number;
  /** Interests (item clusters) in the catalogue. */
  clusters: number;
  itemsPerCluster: number;
  /** Interactions per user. */
  length: number;
  seed: number;
}

/**
 * Generates users with planted sequential and multi-interest structure. Each user follows two
 * of the clusters. Each interaction picks one of the two at random and moves to the next item
 * of that cluster's cycle, starting from a random item. The next item is therefore one of two
 * successors, which a model must find from the history, while popularity only counts the
 * clusters' sizes (cluster c is picked with weight c + 1, so popularity is not uniform).
 */
export function syntheticSequences(options: SyntheticOptions): TrainingData & {
  itemCount: number;
  /** Every user's whole sequence, before the leave-one-out split. */
  sequences: SequenceDataset;
} {
  const rng = createRng(options.seed);
  const itemCount = options.clusters * options.itemsPerCluster;
  const vocabulary = ItemVocabulary.fromItemIds(
    Array.from({ length: itemCount }, (_value, index) => String(index + 1)),
  );
  const weights = Array.from({ length: options.clusters }, (_value, cluster) => cluster + 1);
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const pickCluster = (): number => {
    let value = rng.next() * totalWeight;
    let cluster = 0;
    while (value >= weights[cluster]) {
      value -= weights[cluster];
      cluster += 1;
    }
    return cluster;
  };

  const builder = new SequenceDatasetBuilder();
  for (let user = 0; user < options.users; user += 1) {
    const first = pickCluster();
    let second = pickCluster();
    while (second === first) {
      second = pickCluster();
    }
    const interests = [first, second];
    const pointers = interests.map(() => rng.nextInt(options.itemsPerCluster));
    const items = new Int32Array(options.length);
    for (let position = 0; position < options.length; position += 1) {
      const choice = rng.nextInt(2);
      pointers[choice] = (pointers[choice] + 1) % options.itemsPerCluster;
      items[position] = interests[choice] * options.itemsPerCluster + pointers[choice] + 1;
    }
    builder.add(`user-${user}`, items);
  }
  const sequences = builder.build();
  const split = leaveOneOutSplit(sequences);
  return { vocabulary, train: split.train, validation: split.validation, itemCount, sequences };
}
