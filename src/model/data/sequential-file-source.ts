import { readLines } from './line-reader';
import { DataFormatError, SequenceSource, UserSequence } from './sequence-source';

/**
 * Reads the sequential format used by SASRec-style benchmarks: line N contains user N's item
 * ids, space-separated, in time order. Ids must be positive integers. An empty line is a
 * user with no interactions and is skipped, but still counts for the numbering.
 */
export class SequentialFileSource implements SequenceSource {
  constructor(readonly path: string) {}

  async *sequences(): AsyncGenerator<UserSequence> {
    for await (const { lineNumber, text } of readLines(this.path)) {
      const itemIds = parseItemIdLine(this.path, lineNumber, text);
      if (itemIds.length > 0) {
        yield { userId: String(lineNumber), itemIds };
      }
    }
  }
}

/** Reads a file with one item id per line, such as the targets of an evaluation set. */
export async function readItemIdColumn(path: string): Promise<string[]> {
  const itemIds: string[] = [];
  for await (const { lineNumber, text } of readLines(path)) {
    const ids = parseItemIdLine(path, lineNumber, text);
    if (ids.length !== 1) {
      throw new DataFormatError(path, lineNumber, `expected one item id, found ${ids.length}`);
    }
    itemIds.push(ids[0]);
  }
  return itemIds;
}

function parseItemIdLine(path: string, lineNumber: number, text: string): string[] {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((token) => token.length > 0);
  for (const token of tokens) {
    if (!POSITIVE_INTEGER.test(token)) {
      throw new DataFormatError(path, lineNumber, `invalid item id "${token}"`);
    }
  }
  return tokens;
}

const POSITIVE_INTEGER = /^[1-9]\d*$/;
