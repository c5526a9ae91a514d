import { EventRecord, ItemRecord, LineParseError } from '../types';
import { parseNumber, parseNumericId, parseTitle, parseUnixSeconds } from './fields';

/** A rating line of MovieLens 100K (`u.data`) or 1M (`ratings.dat`). */
export interface MovieLensRating {
  userId: string;
  itemId: string;
  rating: number;
  occurredAt: Date;
  /** The timestamp field as written, used in the event id. */
  timestamp: string;
}

/** Parses a `u.data` line: user id, item id, rating and Unix timestamp, tab-separated. */
export function parseMl100kRatingLine(line: string): MovieLensRating {
  return parseRatingFields(line.split('\t'), 'tab-separated');
}

/** Parses a `ratings.dat` line: `UserID::MovieID::Rating::Timestamp`. */
export function parseMl1mRatingLine(line: string): MovieLensRating {
  return parseRatingFields(line.split('::'), '"::"-separated');
}

function parseRatingFields(fields: string[], separator: string): MovieLensRating {
  if (fields.length !== 4) {
    throw new LineParseError(`expected 4 ${separator} fields, found ${fields.length}`);
  }
  const [user, item, rating, timestamp] = fields.map((field) => field.trim());
  return {
    userId: parseNumericId(user, 'user id'),
    itemId: parseNumericId(item, 'item id'),
    rating: parseNumber(rating, 'rating'),
    occurredAt: parseUnixSeconds(timestamp, 'timestamp'),
    timestamp,
  };
}

/**
 * Builds the event of a rating. The event id names the dataset, user, item and timestamp,
 * which identify one rating, so importing the file again inserts nothing.
 */
export function ratingToEvent(
  rating: MovieLensRating,
  dataset: 'ml100k' | 'ml1m',
  eventType: string,
): EventRecord {
  return {
    userId: rating.userId,
    itemId: rating.itemId,
    eventType,
    value: rating.rating,
    occurredAt: rating.occurredAt,
    eventId: `${dataset}:${rating.userId}:${rating.itemId}:${rating.timestamp}`,
  };
}

/** Parses a `u.genre` line (`name|index`); returns undefined for a blank line. */
export function parseMl100kGenreLine(line: string): { name: string; index: number } | undefined {
  if (line.trim() === '') {
    return undefined;
  }
  const fields = line.split('|');
  if (fields.length !== 2) {
    throw new LineParseError(`expected "name|index", found ${fields.length} fields`);
  }
  const index = Number(fields[1]);
  if (!Number.isInteger(index) || index < 0) {
    throw new LineParseError(`genre index ${JSON.stringify(fields[1])} is not an integer`);
  }
  return { name: fields[0].trim(), index };
}

/** Number of fields of a `u.item` line before the genre flags. */
const ML100K_ITEM_FIXED_FIELDS = 5;

/**
 * Parses a `u.item` line: movie id, title, release date, video release date, IMDb URL, then
 * one 0/1 flag per genre in the order of `u.genre`.
 */
export function parseMl100kItemLine(line: string, genres: readonly string[]): ItemRecord {
  const fields = line.split('|');
  const expected = ML100K_ITEM_FIXED_FIELDS + genres.length;
  if (fields.length !== expected) {
    throw new LineParseError(`expected ${expected} "|"-separated fields, found ${fields.length}`);
  }

  const categories: string[] = [];
  genres.forEach((genre, index) => {
    const flag = fields[ML100K_ITEM_FIXED_FIELDS + index];
    if (flag !== '0' && flag !== '1') {
      throw new LineParseError(`genre flag for ${genre} is ${JSON.stringify(flag)}, not 0 or 1`);
    }
    if (flag === '1') {
      categories.push(genre);
    }
  });

  return {
    itemId: parseNumericId(fields[0].trim(), 'movie id'),
    title: parseTitle(fields[1]),
    categories,
    attributes: {},
  };
}

/**
 * Parses a `movies.dat` line of MovieLens 1M: `MovieID::Title::Genre|Genre`. The title is
 * everything between the first and the last `::`.
 */
export function parseMl1mMovieLine(line: string): ItemRecord {
  const first = line.indexOf('::');
  const last = line.lastIndexOf('::');
  if (first < 0 || last === first) {
    throw new LineParseError('expected "MovieID::Title::Genres"');
  }

  const genres = line.slice(last + 2).trim();
  return {
    itemId: parseNumericId(line.slice(0, first).trim(), 'movie id'),
    title: parseTitle(line.slice(first + 2, last)),
    categories: genres === '' ? [] : genres.split('|').map((genre) => genre.trim()),
    attributes: {},
  };
}
