import { LineParseError } from '../types';
import {
  buildMappedEvent,
  EventField,
  EventMappingSettings,
  parseColumnMapping,
} from './mapped-event';

const SETTINGS: EventMappingSettings = {
  eventTypes: ['view', 'purchase', 'rating'],
  timeUnit: 's',
};

function build(values: Partial<Record<EventField, unknown>>, settings = SETTINGS) {
  return buildMappedEvent((field) => values[field], settings);
}

describe('parseColumnMapping', () => {
  it('maps fields to columns', () => {
    expect(parseColumnMapping('userId=user_id, itemId=product,occurredAt=ts')).toEqual({
      userId: 'user_id',
      itemId: 'product',
      occurredAt: 'ts',
    });
  });

  it('returns an empty mapping for no text', () => {
    expect(parseColumnMapping(undefined)).toEqual({});
  });

  it('rejects an unknown field', () => {
    expect(() => parseColumnMapping('user=user_id')).toThrow(
      'Invalid --map field "user": expected one of userId, itemId, type, occurredAt, value, eventId',
    );
  });

  it('rejects an entry without a column', () => {
    expect(() => parseColumnMapping('userId')).toThrow('expected <field>=<column>');
  });
});

describe('buildMappedEvent', () => {
  const row = { userId: 'u1', itemId: 'i1', type: 'view', occurredAt: '2024-05-01T10:00:00Z' };

  it('builds an event with a hashed event id', () => {
    const event = build(row);

    expect(event.userId).toBe('u1');
    expect(event.eventType).toBe('view');
    expect(event.value).toBeNull();
    expect(event.occurredAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(event.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('hashes equal rows to equal ids', () => {
    const fromText = build({ ...row, occurredAt: '1714557600', value: '4' });
    const fromNumbers = build({ ...row, occurredAt: 1714557600, value: 4 });

    expect(fromText.eventId).toBe(fromNumbers.eventId);
    expect(build(row).eventId).not.toBe(fromText.eventId);
  });

  it('keeps an event id column', () => {
    expect(build({ ...row, eventId: 'e-1' }).eventId).toBe('e-1');
  });

  it('reads milliseconds and offsets', () => {
    const millis = build({ ...row, occurredAt: '1714557600000' }, { ...SETTINGS, timeUnit: 'ms' });
    const offset = build({ ...row, occurredAt: '2024-05-01 12:00:00+02:00' });

    expect(millis.occurredAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(offset.occurredAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it('uses the default event type for an empty type', () => {
    const event = build({ ...row, type: '' }, { ...SETTINGS, defaultEventType: 'purchase' });

    expect(event.eventType).toBe('purchase');
  });

  it.each([
    [{ ...row, userId: '' }, 'userId is missing'],
    [
      { ...row, type: 'hover' },
      'event type "hover" is not one of EVENT_TYPES (view, purchase, rating)',
    ],
    [{ ...row, type: undefined }, 'type is missing and no --event-type default is set'],
    [
      { ...row, occurredAt: '2024-05-01T10:00:00' },
      'occurredAt "2024-05-01T10:00:00" is neither a Unix time nor an ISO 8601 timestamp with a time zone',
    ],
    [{ ...row, occurredAt: '2024-13-45' }, 'occurredAt "2024-13-45" is not a valid time'],
    [{ ...row, value: 'high' }, 'value "high" is not a number'],
    [{ ...row, itemId: { id: 1 } }, 'itemId must be a string or a number, found object'],
    [{ ...row, userId: 'u'.repeat(129) }, 'userId is 129 characters long, the maximum is 128'],
  ])('rejects %j', (values, reason) => {
    expect(() => build(values)).toThrow(new LineParseError(reason));
  });
});
