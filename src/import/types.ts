import type { ReadProgress } from './line-reader';

/** Input formats that `qrec import` reads. */
export const IMPORT_FORMATS = ['ml-100k', 'ml-1m', 'sequential', 'csv', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One interaction event, with the caller's ids for the user and the item. */
export interface EventRecord {
  userId: string;
  itemId: string;
  eventType: string;
  value: number | null;
  occurredAt: Date;
  /** Idempotency key: a second import of the same event is skipped as a duplicate. */
  eventId: string;
}

/** One catalog item with its metadata. */
export interface ItemRecord {
  itemId: string;
  title: string;
  categories: string[];
  attributes: Record<string, unknown>;
}

/** A source line that was skipped, with its 1-based line number and the reason. */
export interface Rejection {
  file: string;
  line: number;
  reason: string;
}

/** Entry that a format reader yields: a record, or the rejection of a bad line. */
export type SourceEntry<T> = { record: T } | { rejection: Rejection };

/** Raised by a line parser for a line that it cannot turn into records. */
export class LineParseError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'LineParseError';
  }
}

/**
 * Reader of one input format. The importer reads the catalog items first (none for formats
 * without a catalog file), then the events.
 */
export interface ImportSource {
  /** Files the reader opens; their total size is the progress bar's total. */
  readonly files: readonly string[];
  items(progress: ReadProgress): AsyncIterable<SourceEntry<ItemRecord>>;
  events(progress: ReadProgress): AsyncIterable<SourceEntry<EventRecord>>;
}

/** Column limits of the schema (see the InitialSchema migration). */
export const MAX_EXTERNAL_ID_LENGTH = 128;
export const MAX_TITLE_LENGTH = 512;
export const MAX_EVENT_ID_LENGTH = 128;
