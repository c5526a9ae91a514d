import { createHash } from 'node:crypto';
import { EventRecord, LineParseError, MAX_EVENT_ID_LENGTH } from '../types';
import { parseExternalId } from './fields';

/** Event fields that `--map` can assign to a column or key of the input. */
export const EVENT_FIELDS = ['userId', 'itemId', 'type', 'occurredAt', 'value', 'eventId'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];
/** Input column (CSV header name or 1-based number, JSON key) of each mapped field. */
export type ColumnMapping = Partial<Record<EventField, string>>;

/** Unit of numeric `occurredAt` values: Unix seconds or Unix milliseconds. */
export type TimeUnit = 's' | 'ms';

/** Parses `--map userId=user_id,itemId=product,…`; fields left out are not in the result. */
export function parseColumnMapping(text: string | undefined): ColumnMapping {
  const mapping: ColumnMapping = {};
  if (text === undefined || text.trim() === '') {
    return mapping;
  }

  for (const pair of text.split(',')) {
    const separator = pair.indexOf('=');
    const field = pair.slice(0, separator).trim();
    const column = pair.slice(separator + 1).trim();
    if (separator < 0 || column === '') {
      throw new Error(`Invalid --map entry ${JSON.stringify(pair)}: expected <field>=<column>`);
    }
    if (!isEventField(field)) {
      throw new Error(
        `Invalid --map field ${JSON.stringify(field)}: expected one of ${EVENT_FIELDS.join(', ')}`,
      );
    }
    mapping[field] = column;
  }
  return mapping;
}

function isEventField(value: string): value is EventField {
  return (EVENT_FIELDS as readonly string[]).includes(value);
}

/** Settings that turn mapped input values into events. */
export interface EventMappingSettings {
  /** Event types allowed by the configuration (`EVENT_TYPES`). */
  eventTypes: readonly string[];
  /** Event type of rows without a type column or with an empty type value. */
  defaultEventType?: string;
  timeUnit: TimeUnit;
}

/** Reads the input value of one field; undefined when the column or key is absent. */
export type FieldReader = (field: EventField) => unknown;

/**
 * Builds an event from the mapped values of one row. Without an event id column, the id is a
 * SHA-256 hash of the user, item, type, time and value, so the same row imported twice (from
 * CSV or JSON lines) is stored once.
 */
export function buildMappedEvent(read: FieldReader, settings: EventMappingSettings): EventRecord {
  const userId = parseExternalId(requireText(read('userId'), 'userId'), 'userId');
  const itemId = parseExternalId(requireText(read('itemId'), 'itemId'), 'itemId');
  const eventType = parseEventType(optionalText(read('type'), 'type'), settings);
  const occurredAt = parseOccurredAt(read('occurredAt'), settings.timeUnit);
  const value = parseValue(read('value'));

  const sourceEventId = optionalText(read('eventId'), 'eventId');
  const eventId =
    sourceEventId === undefined
      ? hashEvent(userId, itemId, eventType, occurredAt, value)
      : parseEventId(sourceEventId);

  return { userId, itemId, eventType, value, occurredAt, eventId };
}

function optionalText(value: unknown, field: EventField): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value !== 'string') {
    throw new LineParseError(`${field} must be a string or a number, found ${typeof value}`);
  }
  const text = value.trim();
  return text === '' ? undefined : text;
}

function requireText(value: unknown, field: EventField): string {
  const text = optionalText(value, field);
  if (text === undefined) {
    throw new LineParseError(`${field} is missing`);
  }
  return text;
}

function parseEventType(value: string | undefined, settings: EventMappingSettings): string {
  const eventType = value ?? settings.defaultEventType;
  if (eventType === undefined) {
    throw new LineParseError('type is missing and no --event-type default is set');
  }
  if (!settings.eventTypes.includes(eventType)) {
    throw new LineParseError(
      `event type ${JSON.stringify(eventType)} is not one of EVENT_TYPES (${settings.eventTypes.join(', ')})`,
    );
  }
  return eventType;
}

/**
 * ISO 8601 date, or date and time with `Z` or an offset. A local time without a zone is
 * rejected, because its meaning would depend on the time zone of the importing machine.
 */
const ISO_TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function parseOccurredAt(value: unknown, unit: TimeUnit): Date {
  const text = requireText(value, 'occurredAt');
  let date: Date;
  if (NUMERIC.test(text)) {
    date = new Date(Number(text) * (unit === 's' ? 1000 : 1));
  } else if (ISO_TIMESTAMP.test(text)) {
    date = new Date(text.replace(' ', 'T'));
  } else {
    throw new LineParseError(
      `occurredAt ${JSON.stringify(text)} is neither a Unix time nor an ISO 8601 timestamp with a time zone`,
    );
  }
  if (Number.isNaN(date.getTime())) {
    throw new LineParseError(`occurredAt ${JSON.stringify(text)} is not a valid time`);
  }
  return date;
}

function parseValue(value: unknown): number | null {
  const text = optionalText(value, 'value');
  if (text === undefined) {
    return null;
  }
  const number = Number(text);
  if (!Number.isFinite(number)) {
    throw new LineParseError(`value ${JSON.stringify(text)} is not a number`);
  }
  return number;
}

function parseEventId(value: string): string {
  if (value.length > MAX_EVENT_ID_LENGTH) {
    throw new LineParseError(
      `eventId is ${value.length} characters long, the maximum is ${MAX_EVENT_ID_LENGTH}`,
    );
  }
  if (value.includes('\u0000')) {
    throw new LineParseError('eventId contains a NUL character');
  }
  return value;
}

function hashEvent(
  userId: string,
  itemId: string,
  eventType: string,
  occurredAt: Date,
  value: number | null,
): string {
  const canonical = JSON.stringify([userId, itemId, eventType, occurredAt.toISOString(), value]);
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
