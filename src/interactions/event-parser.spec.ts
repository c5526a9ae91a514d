import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';
import { parseEvents } from './event-parser';

const rules = {
  eventTypes: ['view', 'purchase'],
  receivedAt: new Date('2025-06-01T00:00:00Z'),
};
const valid = { userId: 'u-1', itemId: 'i-1', type: 'view' };

function parseError(body: unknown): AppException {
  try {
    parseEvents(body, rules);
  } catch (error) {
    return error as AppException;
  }
  throw new Error('parseEvents accepted the body');
}

describe('parseEvents', () => {
  it('applies defaults to one event', () => {
    const { events, isBatch } = parseEvents(valid, rules);

    expect(isBatch).toBe(false);
    expect(events).toEqual([
      {
        userId: 'u-1',
        itemId: 'i-1',
        type: 'view',
        value: null,
        occurredAt: rules.receivedAt,
        eventId: null,
        recommendationId: null,
      },
    ]);
  });

  it('parses every field', () => {
    const { events } = parseEvents(
      [
        {
          ...valid,
          type: 'purchase',
          value: -2.5,
          occurredAt: '2025-05-31T23:00:00-01:00',
          eventId: 'e-1',
          recommendationId: 'A1B2C3D4-0000-4000-8000-000000000000',
        },
      ],
      rules,
    );

    expect(events[0].value).toBe(-2.5);
    expect(events[0].occurredAt.toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(events[0].eventId).toBe('e-1');
    expect(events[0].recommendationId).toBe('a1b2c3d4-0000-4000-8000-000000000000');
  });

  it('treats null optional fields as absent', () => {
    const { events } = parseEvents({ ...valid, value: null, eventId: null }, rules);

    expect(events[0].value).toBeNull();
    expect(events[0].eventId).toBeNull();
  });

  it('names batch fields with the index', () => {
    const error = parseError([valid, { ...valid, userId: '' }]);

    expect(error.code).toBe(ErrorCode.ValidationFailed);
    expect(error.details).toEqual([
      { field: '[1].userId', value: '', problem: 'must not be empty', index: 1 },
    ]);
  });

  it('lists allowed types', () => {
    const error = parseError({ ...valid, type: 'hover' });

    expect(error.details[0].problem).toBe(
      'is not a configured event type; allowed values: view, purchase',
    );
  });

  it('rejects NaN and Infinity', () => {
    expect(parseError({ ...valid, value: NaN }).details[0].field).toBe('value');
    expect(parseError({ ...valid, value: Infinity }).details[0].field).toBe('value');
  });

  it('accepts occurredAt one day ahead', () => {
    const { events } = parseEvents({ ...valid, occurredAt: '2025-06-02T00:00:00Z' }, rules);

    expect(events).toHaveLength(1);
  });

  it('rejects occurredAt beyond one day ahead', () => {
    const error = parseError({ ...valid, occurredAt: '2025-06-02T00:00:01Z' });

    expect(error.details[0].field).toBe('occurredAt');
  });

  it('rejects over 1,000 events', () => {
    const error = parseError(Array.from({ length: 1001 }, () => valid));

    expect(error.code).toBe(ErrorCode.BatchTooLarge);
  });

  it('rejects a missing body', () => {
    const error = parseError(undefined);

    expect(error.details).toEqual([
      {
        field: 'body',
        problem: 'is missing; send a JSON body with Content-Type: application/json',
      },
    ]);
  });

  it('rejects a scalar body', () => {
    const error = parseError(42);

    expect(error.details).toEqual([
      { field: 'body', value: 42, problem: 'must be a JSON object, not a number' },
    ]);
  });

  it('names the type of a non-object element', () => {
    const error = parseError([valid, 'nope']);

    expect(error.details).toEqual([
      { field: '[1]', value: 'nope', problem: 'must be a JSON object, not a string', index: 1 },
    ]);
  });
});
