import { SequenceDataset } from '../data/sequence-dataset';
import { Scorer } from '../eval/scorer';

/**
 * Recommends the items with the most training interactions, the same list for every user.
 * The evaluation removes each user's history from the ranking afterwards.
 */
export class MostPopularRecommender {
  readonly name = 'popular';

  private constructor(
    private readonly itemCount: number,
    private readonly popularity: Float32Array,
  ) {}

  /** Counts each item's interactions in the training sequences. */
  static fit(train: SequenceDataset, itemCount: number): MostPopularRecommender {
    const counts = train.itemCounts(itemCount);
    return new MostPopularRecommender(itemCount, Float32Array.from(counts));
  }

  readonly score: Scorer = (histories) => {
    const rowLength = this.itemCount + 1;
    const scores = new Float32Array(histories.length * rowLength);
    for (let user = 0; user < histories.length; user += 1) {
      scores.set(this.popularity, user * rowLength);
    }
    return Promise.resolve(scores);
  };
}
