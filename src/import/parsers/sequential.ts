import { EventRecord, LineParseError } from '../types';
import { parseNumericId } from './fields';

const WHITESPACE = /\s+/;

/**
 * Parses one line of a sequential file: the item ids of one user in time order, separated
 * by spaces. A blank line is a user without items and yields an empty list.
 */
export function parseSequentialLine(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed === '') {
    return [];
  }
  return trimmed.split(WHITESPACE).map((token, index) => {
    try {
      return parseNumericId(token, 'item id');
    } catch (error) {
      if (error instanceof LineParseError) {
        throw new LineParseError(`position ${index}: ${error.reason}`);
      }
      throw error;
    }
  });
}

/**
 * Builds the events of one user's sequence. The file contains only the order, so the event
 * at 0-based position p gets `occurred_at = start + p seconds` and the event id
 * `seq:<user>:<p>`. Both depend only on the file, so a second import inserts nothing.
 */
export function sequenceToEvents(
  userId: string,
  itemIds: readonly string[],
  eventType: string,
  start: Date,
): EventRecord[] {
  const startMs = start.getTime();
  return itemIds.map((itemId, position) => ({
    userId,
    itemId,
    eventType,
    value: null,
    occurredAt: new Date(startMs + position * 1000),
    eventId: `seq:${userId}:${position}`,
  }));
}

/** Parses a line of `sas_to_movielens_items.txt`: `<sequential id> <MovieLens id>`. */
export function parseItemMappingLine(line: string): { itemId: string; movieLensId: string } {
  const fields = line.trim().split(WHITESPACE);
  if (fields.length !== 2) {
    throw new LineParseError(
      `expected "<sequential id> <MovieLens id>", found ${fields.length} fields`,
    );
  }
  return {
    itemId: parseNumericId(fields[0], 'sequential item id'),
    movieLensId: parseNumericId(fields[1], 'MovieLens id'),
  };
}
