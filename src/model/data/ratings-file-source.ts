import { readLines } from './line-reader';
import { compareIds, DataFormatError, SequenceSource, UserSequence } from './sequence-source';

/** One rating event as it appears in a MovieLens ratings file. */
interface RatingEvent {
  userId: string;
  itemId: string;
  timestamp: number;
}

type RatingLineParser = (text: string) => RatingEvent | string;

/**
 * Reads a MovieLens ratings file and yields each user's rated items ordered by timestamp.
 * Every rating counts as one implicit interaction, whatever its value. Events with equal
 * timestamps keep their file order. Users are yielded in ascending id order.
 *
 * The file has no per-user order, so every event of the file is grouped in memory before
 * the first user is yielded.
 */
export class RatingsFileSource implements SequenceSource {
  private constructor(
    readonly path: string,
    private readonly parseLine: RatingLineParser,
  ) {}

  /** MovieLens 1M `ratings.dat`: `UserID::MovieID::Rating::Timestamp`. */
  static movieLens1m(path: string): RatingsFileSource {
    return new RatingsFileSource(path, (text) => parseRatingFields(text.split('::')));
  }

  /** MovieLens 100K `u.data`: `user id`, `item id`, `rating`, `timestamp`, tab-separated. */
  static movieLens100k(path: string): RatingsFileSource {
    return new RatingsFileSource(path, (text) => parseRatingFields(text.split('\t')));
  }

  async *sequences(): AsyncGenerator<UserSequence> {
    const eventsByUser = await this.readEventsByUser();
    const userIds = [...eventsByUser.keys()].sort(compareIds);
    for (const userId of userIds) {
      const events = eventsByUser.get(userId) ?? [];
      // Array.prototype.sort is stable since ES2019, so ties keep their file order.
      events.sort((a, b) => a.timestamp - b.timestamp);
      eventsByUser.delete(userId);
      yield { userId, itemIds: events.map((event) => event.itemId) };
    }
  }

  private async readEventsByUser(): Promise<Map<string, RatingEvent[]>> {
    const eventsByUser = new Map<string, RatingEvent[]>();
    for await (const { lineNumber, text } of readLines(this.path)) {
      if (text.trim().length === 0) {
        continue;
      }
      const parsed = this.parseLine(text);
      if (typeof parsed === 'string') {
        throw new DataFormatError(this.path, lineNumber, parsed);
      }
      const events = eventsByUser.get(parsed.userId);
      if (events === undefined) {
        eventsByUser.set(parsed.userId, [parsed]);
      } else {
        events.push(parsed);
      }
    }
    return eventsByUser;
  }
}

/** Returns the event, or the reason the fields are invalid. */
function parseRatingFields(fields: string[]): RatingEvent | string {
  if (fields.length !== 4) {
    return `expected 4 fields (user, item, rating, timestamp), found ${fields.length}`;
  }
  const [userId, itemId, rating, timestamp] = fields.map((field) => field.trim());
  if (!POSITIVE_INTEGER.test(userId)) {
    return `invalid user id "${userId}"`;
  }
  if (!POSITIVE_INTEGER.test(itemId)) {
    return `invalid item id "${itemId}"`;
  }
  if (!Number.isFinite(Number(rating)) || rating.length === 0) {
    return `invalid rating "${rating}"`;
  }
  if (!/^\d+$/.test(timestamp)) {
    return `invalid timestamp "${timestamp}"`;
  }
  return { userId, itemId, timestamp: Number(timestamp) };
}

const POSITIVE_INTEGER = /^[1-9]\d*$/;
