import { SequenceDataset } from '../data/sequence-dataset';
import { Scorer } from '../eval/scorer';
import { CooccurrenceOptions, CooccurrenceRecommender } from './cooccurrence';
import { MostPopularRecommender } from './most-popular';

export { CooccurrenceRecommender, MostPopularRecommender };
export type { CooccurrenceOptions };

export const BASELINE_NAMES = ['popular', 'cooccurrence'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export function isBaselineName(value: string): value is BaselineName {
  return (BASELINE_NAMES as readonly string[]).includes(value);
}

/** Fits a baseline on the training sequences and returns its scorer. */
export function fitBaseline(name: BaselineName, train: SequenceDataset, itemCount: number): Scorer {
  switch (name) {
    case 'popular':
      return MostPopularRecommender.fit(train, itemCount).score;
    case 'cooccurrence':
      return CooccurrenceRecommender.fit(train, itemCount).score;
  }
}
