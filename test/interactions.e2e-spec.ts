import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from './setup/test-app';
import { countRows, truncateAll } from './support/database';

describe('interactions', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  beforeEach(async () => {
    await truncateAll(testApp);
    await request(server)
      .post('/items/bulk')
      .send({
        items: [
          { id: 'i-1', title: 'One' },
          { id: 'i-2', title: 'Two' },
        ],
      });
  });

  function post(body: unknown): request.Test {
    return request(server)
      .post('/interactions')
      .send(body as object);
  }

  it('stores one event', async () => {
    const recommendationId = randomUUID();

    const response = await post({
      userId: 'u-1',
      itemId: 'i-1',
      type: 'rating',
      value: 4.5,
      occurredAt: '2025-01-31T12:00:00Z',
      eventId: 'e-1',
      recommendationId,
    });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ accepted: 1, duplicates: 0 });
    const rows = await testApp.app
      .get(DataSource)
      .query(
        'SELECT event_type, value, occurred_at, event_id, recommendation_id FROM interactions',
      );
    expect(rows).toHaveLength(1);
    expect(rows[0].event_type).toBe('rating');
    expect(rows[0].value).toBe(4.5);
    expect(rows[0].occurred_at.toISOString()).toBe('2025-01-31T12:00:00.000Z');
    expect(rows[0].event_id).toBe('e-1');
    expect(rows[0].recommendation_id).toBe(recommendationId);
  });

  it('stores a batch', async () => {
    const response = await post([
      { userId: 'u-1', itemId: 'i-1', type: 'view' },
      { userId: 'u-1', itemId: 'i-2', type: 'click' },
      { userId: 'u-2', itemId: 'i-1', type: 'purchase', value: 19.99 },
    ]);

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ accepted: 3, duplicates: 0 });
    expect(await countRows(testApp, 'interactions')).toBe(3);
  });

  it('occurredAt defaults to receipt time', async () => {
    const before = Date.now();

    await post({ userId: 'u-1', itemId: 'i-1', type: 'view' });

    const rows = await testApp.app.get(DataSource).query('SELECT occurred_at FROM interactions');
    const stored = (rows[0].occurred_at as Date).getTime();
    expect(stored).toBeGreaterThanOrEqual(before);
    expect(stored).toBeLessThanOrEqual(Date.now());
  });

  it('creates unknown users', async () => {
    await post({ userId: 'new-user', itemId: 'i-1', type: 'view' });

    const response = await request(server).get('/users/new-user');

    expect(response.status).toBe(200);
    expect(response.body.attributes).toEqual({});
  });

  it('same eventId twice stores one row', async () => {
    const event = { userId: 'u-1', itemId: 'i-1', type: 'view', eventId: 'e-1' };

    const first = await post(event);
    const second = await post(event);

    expect(first.status).toBe(201);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ accepted: 0, duplicates: 1 });
    expect(await countRows(testApp, 'interactions')).toBe(1);
  });

  it('repeated eventId in one batch stores one row', async () => {
    const event = { userId: 'u-1', itemId: 'i-1', type: 'view', eventId: 'e-1' };

    const response = await post([event, event, { ...event, eventId: 'e-2' }]);

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ accepted: 2, duplicates: 1 });
    expect(await countRows(testApp, 'interactions')).toBe(2);
  });

  it('events without eventId are never duplicates', async () => {
    const event = { userId: 'u-1', itemId: 'i-1', type: 'view' };

    await post(event);
    const response = await post(event);

    expect(response.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(await countRows(testApp, 'interactions')).toBe(2);
  });

  it('unknown items are 422 naming all ids', async () => {
    const response = await post([
      { userId: 'u-1', itemId: 'i-1', type: 'view' },
      { userId: 'u-1', itemId: 'ghost-a', type: 'view' },
      { userId: 'u-2', itemId: 'ghost-b', type: 'view' },
      { userId: 'u-2', itemId: 'ghost-a', type: 'click' },
    ]);

    expect(response.status).toBe(422);
    expect(response.body.code).toBe('UNKNOWN_ITEMS');
    expect(response.body.message).toContain('"ghost-a"');
    expect(response.body.message).toContain('"ghost-b"');
    expect(response.body.details).toEqual([
      { field: '[1].itemId', value: 'ghost-a', problem: 'no item has this id', index: 1 },
      { field: '[2].itemId', value: 'ghost-b', problem: 'no item has this id', index: 2 },
    ]);
    expect(await countRows(testApp, 'interactions')).toBe(0);
    expect(await countRows(testApp, 'users')).toBe(0);
    expect(await countRows(testApp, 'items')).toBe(2);
  });

  it('accepts a batch of 1,000', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      userId: `u-${i % 37}`,
      itemId: i % 2 === 0 ? 'i-1' : 'i-2',
      type: 'view',
      eventId: `e-${i}`,
    }));

    const response = await post(events);

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ accepted: 1000, duplicates: 0 });
    expect(await countRows(testApp, 'users')).toBe(37);
  });

  it('concurrent batches share new users', async () => {
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) => ({
        userId: `shared-${i % 10}`,
        itemId: 'i-1',
        type: 'view',
        eventId: `b${b}-e${i}`,
      })),
    );

    const responses = await Promise.all(batches.map((batch) => post(batch)));

    for (const response of responses) {
      expect(response.status).toBe(201);
    }
    expect(await countRows(testApp, 'users')).toBe(10);
    expect(await countRows(testApp, 'interactions')).toBe(400);
  });

  it('concurrent retries store one row', async () => {
    const event = { userId: 'u-new', itemId: 'i-1', type: 'view', eventId: 'e-retry' };

    const responses = await Promise.all(Array.from({ length: 6 }, () => post(event)));

    const accepted = responses
      .map((response) => (response.body as { accepted: number }).accepted)
      .reduce((sum, count) => sum + count, 0);
    expect(responses.every((response) => response.status < 300)).toBe(true);
    expect(accepted).toBe(1);
    expect(await countRows(testApp, 'interactions')).toBe(1);
  });

  describe('bad input', () => {
    const valid = { userId: 'u-1', itemId: 'i-1', type: 'view' };

    it.each([
      ['missing userId', { itemId: 'i-1', type: 'view' }, 'userId'],
      ['numeric userId', { ...valid, userId: 42 }, 'userId'],
      ['empty itemId', { ...valid, itemId: '' }, 'itemId'],
      ['long itemId', { ...valid, itemId: 'x'.repeat(129) }, 'itemId'],
      ['control character in userId', { ...valid, userId: 'a\u0007b' }, 'userId'],
      ['unknown type', { ...valid, type: 'hover' }, 'type'],
      ['missing type', { userId: 'u-1', itemId: 'i-1' }, 'type'],
      ['string value', { ...valid, value: '5' }, 'value'],
      ['huge value', { ...valid, value: 1e12 }, 'value'],
      ['unparsable occurredAt', { ...valid, occurredAt: 'last tuesday' }, 'occurredAt'],
      ['occurredAt without zone', { ...valid, occurredAt: '2025-01-01T10:00:00' }, 'occurredAt'],
      ['impossible occurredAt', { ...valid, occurredAt: '2025-13-01T00:00:00Z' }, 'occurredAt'],
      ['occurredAt far ahead', { ...valid, occurredAt: '2999-01-01T00:00:00Z' }, 'occurredAt'],
      ['occurredAt before 1970', { ...valid, occurredAt: '1969-12-31T23:59:59Z' }, 'occurredAt'],
      ['long eventId', { ...valid, eventId: 'e'.repeat(129) }, 'eventId'],
      ['empty eventId', { ...valid, eventId: '' }, 'eventId'],
      ['bad recommendationId', { ...valid, recommendationId: 'rec-1' }, 'recommendationId'],
      ['unknown field', { ...valid, sessionId: 's-1' }, 'sessionId'],
    ])('rejects %s', async (_name, body, field) => {
      const response = await post(body);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe(field);
      expect(response.body.message).toContain(field);
      expect(await countRows(testApp, 'interactions')).toBe(0);
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('type error lists allowed values', async () => {
      const response = await post({ ...valid, type: 'hover' });

      expect(response.body.details[0].value).toBe('hover');
      expect(response.body.details[0].problem).toContain('view, click, add_to_cart');
    });

    it('non-finite value is rejected', async () => {
      const response = await request(server)
        .post('/interactions')
        .set('content-type', 'application/json')
        .send('{"userId":"u-1","itemId":"i-1","type":"view","value":1e400}');

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('value');
      expect(response.body.details[0].problem).toBe('must be a finite number');
      expect(await countRows(testApp, 'interactions')).toBe(0);
    });

    it('batch error names index and field', async () => {
      const response = await post([valid, valid, valid, { ...valid, itemId: 42 }]);

      expect(response.status).toBe(400);
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('[3].itemId');
      expect(response.body.details[0].index).toBe(3);
      expect(response.body.details[0].value).toBe(42);
      expect(response.body.message).toContain('[3].itemId');
      expect(await countRows(testApp, 'interactions')).toBe(0);
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('batch lists every problem', async () => {
      const response = await post([{ ...valid, type: 'x' }, valid, 'text', { itemId: 'i-1' }]);

      const fields = response.body.details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(['[0].type', '[2]', '[3].userId', '[3].type']);
    });

    it('batch over 1,000 is 413', async () => {
      const response = await post(Array.from({ length: 1001 }, () => valid));

      expect(response.status).toBe(413);
      expect(response.body.code).toBe('BATCH_TOO_LARGE');
      expect(await countRows(testApp, 'interactions')).toBe(0);
    });

    it('empty batch is rejected', async () => {
      const response = await post([]);

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('body');
    });

    it('non-JSON content type is rejected', async () => {
      const response = await request(server)
        .post('/interactions')
        .set('content-type', 'text/plain')
        .send('userId=u-1');

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'body is missing; send a JSON body with Content-Type: application/json',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('body');
      expect(response.body.details[0].value).toBeUndefined();
      expect(await countRows(testApp, 'interactions')).toBe(0);
    });

    it('non-object event names its type', async () => {
      const response = await post([valid, 42]);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe('[1] must be a JSON object, not a number (value: 42)');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('[1]');
      expect(response.body.details[0].value).toBe(42);
      expect(response.body.details[0].index).toBe(1);
    });
  });

  describe('user history', () => {
    it('lists newest first', async () => {
      await post([
        { userId: 'u-1', itemId: 'i-1', type: 'view', occurredAt: '2025-01-01T00:00:00Z' },
        { userId: 'u-1', itemId: 'i-2', type: 'click', occurredAt: '2025-01-03T00:00:00Z' },
        { userId: 'u-2', itemId: 'i-2', type: 'view', occurredAt: '2025-01-02T00:00:00Z' },
      ]);

      const response = await request(server).get('/users/u-1/interactions');

      expect(response.status).toBe(200);
      expect(response.body.data).toEqual([
        {
          itemId: 'i-2',
          type: 'click',
          value: null,
          occurredAt: '2025-01-03T00:00:00.000Z',
          eventId: null,
          recommendationId: null,
        },
        {
          itemId: 'i-1',
          type: 'view',
          value: null,
          occurredAt: '2025-01-01T00:00:00.000Z',
          eventId: null,
          recommendationId: null,
        },
      ]);
      expect(response.body.nextCursor).toBeNull();
    });

    it('pages through ties without repeats', async () => {
      // Several events share a timestamp, so the id must break ties between pages.
      const events = Array.from({ length: 9 }, (_, i) => ({
        userId: 'u-1',
        itemId: 'i-1',
        type: 'view',
        eventId: `e-${i}`,
        occurredAt: `2025-01-0${1 + (i % 3)}T00:00:00.123Z`,
      }));
      await post(events);

      const seen: string[] = [];
      const times: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = { limit: 2 };
        if (cursor !== null) {
          query.cursor = cursor;
        }
        const response = await request(server).get('/users/u-1/interactions').query(query);
        expect(response.status).toBe(200);
        for (const row of response.body.data) {
          seen.push(row.eventId);
          times.push(row.occurredAt);
        }
        cursor = response.body.nextCursor;
      } while (cursor !== null);

      expect(seen).toHaveLength(9);
      expect(new Set(seen).size).toBe(9);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('unknown user is 404', async () => {
      const response = await request(server).get('/users/nobody/interactions');

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });

    it('forged cursor is rejected', async () => {
      await post({ userId: 'u-1', itemId: 'i-1', type: 'view' });

      const cursor = Buffer.from('["x","1"]').toString('base64url');
      const response = await request(server).get('/users/u-1/interactions').query({ cursor });

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('cursor');
    });
  });
});

describe('interactions with AUTO_CREATE_ITEMS', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ AUTO_CREATE_ITEMS: 'true' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('creates unknown items', async () => {
    const response = await request(testApp.app.getHttpServer())
      .post('/interactions')
      .send([
        { userId: 'u-1', itemId: 'auto-1', type: 'view' },
        { userId: 'u-1', itemId: 'auto-2', type: 'view' },
        { userId: 'u-2', itemId: 'auto-1', type: 'view' },
      ]);

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ accepted: 3, duplicates: 0 });
    expect(await countRows(testApp, 'items')).toBe(2);
    const item = await request(testApp.app.getHttpServer()).get('/items/auto-1');
    expect(item.body.title).toBe('auto-1');
  });
});
