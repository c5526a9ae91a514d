import { promises as fs } from 'node:fs';
import { openCsvSource, openJsonLinesSource } from './formats/mapped-events';
import { openMl100kSource, openMl1mSource } from './formats/movielens';
import { DEFAULT_SEQUENCE_START, openSequentialSource } from './formats/sequential';
import type { TextEncoding } from './line-reader';
import { parseColumnMapping, TimeUnit } from './parsers/mapped-event';
import type { ImportFormat, ImportSource } from './types';

/** Options of `qrec import` that choose and configure the format reader. */
export interface SourceOptions {
  format: ImportFormat;
  /** Event type of every event, or of rows without a type value (CSV, JSON lines). */
  eventType?: string;
  /** Event types allowed by the configuration (`EVENT_TYPES`). */
  allowedEventTypes: readonly string[];
  /** `--map` text, CSV and JSON lines only. */
  mapping?: string;
  delimiter?: string;
  header?: boolean;
  encoding?: TextEncoding;
  timeUnit?: TimeUnit;
  /** Time of the first event of each user in a sequential file. */
  sequenceStart?: Date;
}

/** Event type of each format when `--event-type` is not given (none for CSV and JSON lines). */
export function defaultEventType(format: ImportFormat): string | undefined {
  switch (format) {
    case 'ml-100k':
    case 'ml-1m':
      return 'rating';
    case 'sequential':
      return 'view';
    case 'csv':
    case 'jsonl':
      return undefined;
  }
}

/** Checks the options and opens the reader of the chosen format. */
export async function openImportSource(
  inputPath: string,
  options: SourceOptions,
): Promise<ImportSource> {
  await assertInputExists(inputPath, options.format);
  const eventType = resolveEventType(options);

  switch (options.format) {
    case 'ml-100k':
      return openMl100kSource(inputPath, requireEventType(eventType, options.format));
    case 'ml-1m':
      return openMl1mSource(inputPath, requireEventType(eventType, options.format));
    case 'sequential':
      return openSequentialSource(
        inputPath,
        requireEventType(eventType, options.format),
        options.sequenceStart ?? DEFAULT_SEQUENCE_START,
      );
    case 'csv':
      return openCsvSource(inputPath, {
        mapping: parseColumnMapping(options.mapping),
        delimiter: parseDelimiter(options.delimiter ?? ','),
        header: options.header ?? true,
        encoding: options.encoding ?? 'utf8',
        eventTypes: options.allowedEventTypes,
        defaultEventType: eventType,
        timeUnit: options.timeUnit ?? 's',
      });
    case 'jsonl':
      return openJsonLinesSource(inputPath, {
        mapping: parseColumnMapping(options.mapping),
        encoding: options.encoding ?? 'utf8',
        eventTypes: options.allowedEventTypes,
        defaultEventType: eventType,
        timeUnit: options.timeUnit ?? 's',
      });
  }
}

function resolveEventType(options: SourceOptions): string | undefined {
  const eventType = options.eventType ?? defaultEventType(options.format);
  if (eventType !== undefined && !options.allowedEventTypes.includes(eventType)) {
    const origin =
      options.eventType === undefined ? `default event type of ${options.format}` : 'event type';
    throw new Error(
      `The ${origin} ${JSON.stringify(eventType)} is not in EVENT_TYPES ` +
        `(${options.allowedEventTypes.join(', ')}); pass --event-type with one of them or add it to EVENT_TYPES`,
    );
  }
  return eventType;
}

function requireEventType(eventType: string | undefined, format: ImportFormat): string {
  if (eventType === undefined) {
    throw new Error(`--format ${format} needs an event type`);
  }
  return eventType;
}

/** Accepts one character, or `\t` / `tab` for a tab. */
function parseDelimiter(text: string): string {
  const delimiter = text === '\\t' || text === 'tab' ? '\t' : text;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(
      `Invalid --delimiter ${JSON.stringify(text)}: expected one character other than a quote or line break`,
    );
  }
  return delimiter;
}

/** MovieLens formats take the dataset folder (or a file in it); the others take a file. */
async function assertInputExists(inputPath: string, format: ImportFormat): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await fs.stat(inputPath)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(`input path ${inputPath} not found (no such file or folder)`);
    }
    throw new Error(`failed to read input path ${inputPath}: ${(error as Error).message}`);
  }
  const takesFolder = format === 'ml-100k' || format === 'ml-1m';
  if (!takesFolder && !isFile) {
    throw new Error(`${inputPath} is not a file: --format ${format} reads one file`);
  }
}
