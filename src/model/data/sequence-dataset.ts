import { ItemVocabulary } from './item-vocabulary';
import { SequenceSource } from './sequence-source';

/**
 * Encoded user sequences packed into one Int32Array with offsets: user u's item indices are
 * `items[offsets[u]..offsets[u + 1])`, in time order. Indices are 1..N from an
 * `ItemVocabulary`, so padding (0) never occurs in a dataset.
 */
export class SequenceDataset {
  private constructor(
    private readonly userIds: readonly string[],
    private readonly offsets: Int32Array,
    private readonly items: Int32Array,
  ) {}

  /**
   * Wraps packed arrays without copying them. `offsets` has one entry per user plus one, starts
   * at 0, never decreases and ends at `items.length`. Throws otherwise.
   */
  static fromPacked(
    userIds: readonly string[],
    offsets: Int32Array,
    items: Int32Array,
  ): SequenceDataset {
    if (offsets.length !== userIds.length + 1) {
      throw new Error(`expected ${userIds.length + 1} offsets, found ${offsets.length}`);
    }
    if (offsets[0] !== 0 || offsets[userIds.length] !== items.length) {
      throw new Error(`offsets must start at 0 and end at ${items.length}`);
    }
    for (let user = 0; user < userIds.length; user += 1) {
      if (offsets[user + 1] < offsets[user]) {
        throw new Error(`offsets decrease at user position ${user}`);
      }
    }
    return new SequenceDataset(userIds, offsets, items);
  }

  /** Encodes every sequence of a source. Throws on an item missing from the vocabulary. */
  static async fromSource(
    source: SequenceSource,
    vocabulary: ItemVocabulary,
  ): Promise<SequenceDataset> {
    const builder = new SequenceDatasetBuilder();
    for await (const sequence of source.sequences()) {
      const encoded = Int32Array.from(sequence.itemIds, (itemId) => {
        const index = vocabulary.indexOf(itemId);
        if (index === undefined) {
          throw new Error(
            `user "${sequence.userId}": item id "${itemId}" is not in the vocabulary`,
          );
        }
        return index;
      });
      builder.add(sequence.userId, encoded);
    }
    return builder.build();
  }

  /** Number of users, including users with an empty sequence. */
  get userCount(): number {
    return this.userIds.length;
  }

  /** Total number of interactions over all users. */
  get interactionCount(): number {
    return this.items.length;
  }

  userId(user: number): string {
    return this.userIds[user];
  }

  /** Returns a view of user `user`'s item indices (0-based user position, no copy). */
  sequence(user: number): Int32Array {
    if (!Number.isInteger(user) || user < 0 || user >= this.userIds.length) {
      throw new RangeError(`user position ${user} is outside 0..${this.userIds.length - 1}`);
    }
    return this.items.subarray(this.offsets[user], this.offsets[user + 1]);
  }

  /** Returns views of the sequences of users `start` (inclusive) to `end` (exclusive). */
  sequences(start = 0, end = this.userCount): Int32Array[] {
    const views: Int32Array[] = [];
    for (let user = start; user < Math.min(end, this.userCount); user += 1) {
      views.push(this.sequence(user));
    }
    return views;
  }

  /**
   * Counts the interactions of each item index, as an array of length `itemCount + 1`
   * (position 0, padding, stays 0). Used as item popularity.
   */
  itemCounts(itemCount: number): Int32Array {
    const counts = new Int32Array(itemCount + 1);
    for (const index of this.items) {
      if (index < 1 || index > itemCount) {
        throw new RangeError(`item index ${index} is outside 1..${itemCount}`);
      }
      counts[index] += 1;
    }
    return counts;
  }
}

/** Appends encoded sequences into a growing packed buffer, then freezes it as a dataset. */
export class SequenceDatasetBuilder {
  private readonly userIds: string[] = [];
  private offsets: Int32Array = new Int32Array(1024);
  private items: Int32Array = new Int32Array(1 << 16);
  private itemCount = 0;

  /** Appends one user. Throws on an index below 1, because 0 is padding. */
  add(userId: string, itemIndices: ArrayLike<number>): void {
    for (let position = 0; position < itemIndices.length; position += 1) {
      const index = itemIndices[position];
      if (!Number.isInteger(index) || index < 1) {
        throw new RangeError(`user "${userId}": invalid item index ${index} (expected 1 or more)`);
      }
    }

    this.reserveItems(itemIndices.length);
    this.items.set(itemIndices, this.itemCount);
    this.itemCount += itemIndices.length;

    this.userIds.push(userId);
    if (this.userIds.length + 1 > this.offsets.length) {
      this.offsets = growInt32Array(this.offsets, this.offsets.length * 2);
    }
    this.offsets[this.userIds.length] = this.itemCount;
  }

  build(): SequenceDataset {
    const offsets = this.offsets.slice(0, this.userIds.length + 1);
    const items = this.items.slice(0, this.itemCount);
    return SequenceDataset.fromPacked([...this.userIds], offsets, items);
  }

  private reserveItems(extra: number): void {
    const required = this.itemCount + extra;
    if (required > this.items.length) {
      this.items = growInt32Array(this.items, Math.max(required, this.items.length * 2));
    }
  }
}

function growInt32Array(array: Int32Array, length: number): Int32Array {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}
