import type { ErrorDetail } from '../common/errors/app.exception';
import { previewValue } from '../common/errors/problem-description';
import {
  BatchTooLargeException,
  ValidationFailedException,
} from '../common/errors/request.exceptions';
import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { findObjectTypeProblem, MISSING_BODY_PROBLEM } from '../common/validation/json-object';
import { findIdProblem } from '../common/validation/text-rules';
import { MAX_BATCH_SIZE } from '../common/validation/validation.decorators';

/** An interaction event that passed validation, with defaults applied. */
export interface ParsedEvent {
  userId: string;
  itemId: string;
  type: string;
  value: number | null;
  occurredAt: Date;
  eventId: string | null;
  recommendationId: string | null;
}

/** The parsed body: its events, and whether it was an array (fields then carry indexes). */
export interface ParsedBody {
  events: ParsedEvent[];
  isBatch: boolean;
}

export interface EventRules {
  eventTypes: readonly string[];
  /** Time of receipt: the default `occurredAt`, and the base of the future limit. */
  receivedAt: Date;
}

/** Largest accepted magnitude of `value` (ratings, weights, prices). */
export const MAX_EVENT_VALUE = 1e9;
/** How far `occurredAt` may lie ahead of the server clock, to absorb client clock skew. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;
/** Earliest accepted `occurredAt`. */
export const MIN_OCCURRED_AT = new Date('1970-01-01T00:00:00Z');

const EVENT_FIELDS = new Set([
  'userId',
  'itemId',
  'type',
  'value',
  'occurredAt',
  'eventId',
  'recommendationId',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates the body of POST /interactions: one event object or an array of 1 to 1,000.
 * Collects every problem of every event before throwing, with fields named `[3].itemId` in
 * a batch. Written by hand rather than with class-validator because it runs on every event
 * of the ingestion hot path.
 */
export function parseEvents(body: unknown, rules: EventRules): ParsedBody {
  if (body === undefined) {
    throw new ValidationFailedException([{ field: 'body', problem: MISSING_BODY_PROBLEM }]);
  }
  const isBatch = Array.isArray(body);
  const elements: unknown[] = isBatch ? body : [body];
  if (isBatch && elements.length === 0) {
    throw new ValidationFailedException([
      { field: 'body', value: [], problem: 'must contain at least one event' },
    ]);
  }
  if (elements.length > MAX_BATCH_SIZE) {
    throw new BatchTooLargeException('body', elements.length, MAX_BATCH_SIZE);
  }

  const problems: ErrorDetail[] = [];
  const events: ParsedEvent[] = [];
  elements.forEach((element, index) => {
    const context = new EventContext(isBatch ? index : undefined, problems);
    const event = parseEvent(element, rules, context);
    if (event !== undefined) {
      events.push(event);
    }
  });
  if (problems.length > 0) {
    throw new ValidationFailedException(problems);
  }
  return { events, isBatch };
}

/** Collects problems of one event, naming fields with the batch index when there is one. */
class EventContext {
  constructor(
    private readonly index: number | undefined,
    private readonly problems: ErrorDetail[],
  ) {}

  private errorCount = 0;

  get hasProblems(): boolean {
    return this.errorCount > 0;
  }

  fieldPath(field: string): string {
    if (this.index === undefined) {
      return field === '' ? 'body' : field;
    }
    return field === '' ? `[${this.index}]` : `[${this.index}].${field}`;
  }

  report(field: string, value: unknown, problem: string): void {
    this.errorCount += 1;
    const detail: ErrorDetail = {
      field: this.fieldPath(field),
      value: previewValue(value),
      problem,
    };
    this.problems.push(this.index === undefined ? detail : { ...detail, index: this.index });
  }
}

function parseEvent(
  element: unknown,
  rules: EventRules,
  context: EventContext,
): ParsedEvent | undefined {
  const typeProblem = findObjectTypeProblem(element);
  if (typeProblem !== undefined) {
    context.report('', element, typeProblem);
    return undefined;
  }
  const input = element as Record<string, unknown>;

  for (const key of Object.keys(input)) {
    if (!EVENT_FIELDS.has(key)) {
      context.report(key, input[key], 'is not an allowed field');
    }
  }
  const event: ParsedEvent = {
    userId: readId(input, 'userId', true, context) ?? '',
    itemId: readId(input, 'itemId', true, context) ?? '',
    type: readType(input.type, rules.eventTypes, context),
    value: readValue(input.value, context),
    occurredAt: readOccurredAt(input.occurredAt, rules.receivedAt, context),
    eventId: readId(input, 'eventId', false, context) ?? null,
    recommendationId: readRecommendationId(input.recommendationId, context),
  };
  return context.hasProblems ? undefined : event;
}

function readId(
  input: Record<string, unknown>,
  field: string,
  required: boolean,
  context: EventContext,
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    if (required) {
      context.report(field, value, 'is required');
    }
    return undefined;
  }
  const problem = findIdProblem(value);
  if (problem !== undefined) {
    context.report(field, value, problem);
    return undefined;
  }
  return value as string;
}

function readType(value: unknown, eventTypes: readonly string[], context: EventContext): string {
  if (typeof value === 'string' && eventTypes.includes(value)) {
    return value;
  }
  const problem = value === undefined ? 'is required' : 'is not a configured event type';
  context.report('type', value, `${problem}; allowed values: ${eventTypes.join(', ')}`);
  return '';
}

function readValue(value: unknown, context: EventContext): number | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    context.report('value', value, 'must be a finite number');
    return null;
  }
  if (Math.abs(value) > MAX_EVENT_VALUE) {
    context.report('value', value, `must be between -${MAX_EVENT_VALUE} and ${MAX_EVENT_VALUE}`);
    return null;
  }
  return value;
}

function readOccurredAt(value: unknown, receivedAt: Date, context: EventContext): Date {
  if (value === undefined || value === null) {
    return receivedAt;
  }
  const date = typeof value === 'string' ? parseIsoTimestamp(value) : undefined;
  if (date === undefined) {
    context.report(
      'occurredAt',
      value,
      'must be an ISO-8601 timestamp with a time zone, e.g. 2025-01-31T12:00:00Z',
    );
    return receivedAt;
  }
  const latest = new Date(receivedAt.getTime() + MAX_FUTURE_SKEW_MS);
  if (date < MIN_OCCURRED_AT || date > latest) {
    context.report(
      'occurredAt',
      value,
      `must be between ${MIN_OCCURRED_AT.toISOString()} and ${latest.toISOString()} ` +
        '(at most one day after the time of receipt)',
    );
  }
  return date;
}

function readRecommendationId(value: unknown, context: EventContext): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string' || !UUID.test(value)) {
    context.report(
      'recommendationId',
      value,
      'must be a UUID, e.g. 3f2b8c1e-5d4a-4c7b-9e2f-1a6b7c8d9e0f',
    );
    return null;
  }
  return value.toLowerCase();
}
