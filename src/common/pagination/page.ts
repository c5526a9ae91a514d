import { encodeCursor } from './cursor';

/** One page of a list and the cursor of the next page (null on the last page). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only shows that another
 * page exists, and the cursor contains the key of the last row returned.
 */
export function toPage<Row, T>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => string[],
  toResponse: (row: Row) => T,
): Page<T> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  const hasMore = rows.length > limit && last !== undefined;
  return {
    data: pageRows.map(toResponse),
    nextCursor: hasMore ? encodeCursor(keyOf(last)) : null,
  };
}
