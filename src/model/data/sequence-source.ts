/** One user's interactions in time order, with item ids as the source spells them. */
export interface UserSequence {
  userId: string;
  itemIds: string[];
  /** Event type of each interaction, aligned with `itemIds`, when the source records one. */
  eventTypes?: string[];
}

/**
 * A stream of user sequences. File sources read one now; a PostgreSQL source will implement
 * the same interface later, so the trainer depends only on this.
 */
export interface SequenceSource {
  /** Yields each user once. A source may be iterated more than once. */
  sequences(): AsyncIterable<UserSequence>;
}

/** A line of an input file that does not match its format, located by file and line number. */
export class DataFormatError extends Error {
  constructor(
    readonly path: string,
    readonly lineNumber: number,
    reason: string,
  ) {
    super(`${path}:${lineNumber}: ${reason}`);
    this.name = 'DataFormatError';
  }
}

/**
 * Orders ids numerically when both are decimal integers, otherwise as strings. Integer ids
 * sort before other ids.
 */
export function compareIds(a: string, b: string): number {
  const isNumberA = DECIMAL_INTEGER.test(a);
  const isNumberB = DECIMAL_INTEGER.test(b);
  if (isNumberA && isNumberB && Number(a) !== Number(b)) {
    return Number(a) - Number(b);
  }
  if (isNumberA !== isNumberB) {
    return isNumberA ? -1 : 1;
  }
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  if (a < b) {
    return -1;
  }
  if (a > b) {
    return 1;
  }
  return 0;
}

const DECIMAL_INTEGER = /^\d+$/;
