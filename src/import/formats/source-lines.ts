import { ReadProgress, readLines, TextEncoding } from '../line-reader';
import { LineParseError, SourceEntry } from '../types';
import * as path from 'node:path';

/** Turns one line into records; throws LineParseError for a line it cannot parse. */
export type LineParser<T> = (text: string, lineNumber: number) => readonly T[];

/**
 * Parses every non-blank line of a file. A line that raises LineParseError becomes a
 * rejection with its line number; any other error stops the import.
 */
export async function* parseFileLines<T>(
  file: string,
  encoding: TextEncoding,
  progress: ReadProgress,
  parse: LineParser<T>,
): AsyncGenerator<SourceEntry<T>> {
  for await (const line of readLines(file, encoding, progress)) {
    if (line.text.trim() === '') {
      continue;
    }

    let records: readonly T[];
    try {
      records = parse(line.text, line.number);
    } catch (error) {
      if (error instanceof LineParseError) {
        yield { rejection: { file: path.basename(file), line: line.number, reason: error.reason } };
        continue;
      }
      throw error;
    }

    for (const record of records) {
      yield { record };
    }
  }
}

/**
 * Reads a small metadata file completely; a bad line stops the import with its location,
 * because every later line depends on the file.
 */
export async function readMetadataFile<T>(
  file: string,
  encoding: TextEncoding,
  progress: ReadProgress,
  parse: LineParser<T>,
): Promise<T[]> {
  const records: T[] = [];
  for await (const entry of parseFileLines(file, encoding, progress, parse)) {
    if ('rejection' in entry) {
      const { line, reason } = entry.rejection;
      throw new Error(`Invalid ${file} line ${line}: ${reason}`);
    }
    records.push(entry.record);
  }
  return records;
}
