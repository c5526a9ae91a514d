import request from 'supertest';
import type { App } from 'supertest/types';
import { createTestApp, TestApp } from './setup/test-app';
import { countRows, truncateAll } from './support/database';

describe('items', () => {
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
  });

  function bulk(items: unknown[]): request.Test {
    return request(server).post('/items/bulk').send({ items });
  }

  it('PUT creates an item', async () => {
    const response = await request(server)
      .put('/items/i-1')
      .send({
        title: 'Shoes',
        categories: ['shoes', 'sport'],
        attributes: { brand: 'Acme' },
        publishedAt: '2025-01-31T12:00:00+01:00',
      });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: 'i-1',
      title: 'Shoes',
      categories: ['shoes', 'sport'],
      attributes: { brand: 'Acme' },
      hidden: false,
      publishedAt: '2025-01-31T11:00:00.000Z',
    });
  });

  it('PUT replaces every field', async () => {
    await request(server)
      .put('/items/i-1')
      .send({ title: 'Shoes', categories: ['shoes'], hidden: true });

    const response = await request(server).put('/items/i-1').send({ title: 'Boots' });

    expect(response.status).toBe(200);
    expect(response.body.title).toBe('Boots');
    expect(response.body.categories).toEqual([]);
    expect(response.body.hidden).toBe(false);
  });

  it('GET returns an item', async () => {
    await request(server).put('/items/i-1').send({ title: 'Shoes' });

    const response = await request(server).get('/items/i-1');

    expect(response.status).toBe(200);
    expect(response.body.id).toBe('i-1');
    expect(response.body.publishedAt).toBeNull();
  });

  it('GET unknown item is 404', async () => {
    const response = await request(server).get('/items/missing');

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(response.body.message).toContain('"missing"');
  });

  it('PATCH hides and unhides', async () => {
    await request(server).put('/items/i-1').send({ title: 'Shoes' });

    const hidden = await request(server).patch('/items/i-1').send({ hidden: true });
    const shown = await request(server).patch('/items/i-1').send({ hidden: false });

    expect(hidden.status).toBe(200);
    expect(hidden.body.hidden).toBe(true);
    expect(shown.body.hidden).toBe(false);
    expect(shown.body.title).toBe('Shoes');
  });

  it('PATCH changes only given fields', async () => {
    await request(server)
      .put('/items/i-1')
      .send({ title: 'Shoes', categories: ['a'], publishedAt: '2025-01-01T00:00:00Z' });

    const response = await request(server)
      .patch('/items/i-1')
      .send({ categories: ['b', 'c'], attributes: { x: 1 }, title: 'New' });

    expect(response.status).toBe(200);
    expect(response.body.title).toBe('New');
    expect(response.body.categories).toEqual(['b', 'c']);
    expect(response.body.attributes).toEqual({ x: 1 });
    expect(response.body.publishedAt).toBe('2025-01-01T00:00:00.000Z');
  });

  it('PATCH publishedAt null clears it', async () => {
    await request(server)
      .put('/items/i-1')
      .send({ title: 'Shoes', publishedAt: '2025-01-01T00:00:00Z' });

    const response = await request(server).patch('/items/i-1').send({ publishedAt: null });

    expect(response.status).toBe(200);
    expect(response.body.publishedAt).toBeNull();
  });

  it('PATCH title null is rejected', async () => {
    await request(server).put('/items/i-1').send({ title: 'Shoes' });

    const response = await request(server).patch('/items/i-1').send({ title: null });

    expect(response.status).toBe(400);
    expect(response.body.details[0].field).toBe('title');
  });

  it('PATCH empty body is rejected', async () => {
    await request(server).put('/items/i-1').send({ title: 'Shoes' });

    const response = await request(server).patch('/items/i-1').send({});

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.message).toContain('at least one of');
  });

  it('PATCH unknown item is 404', async () => {
    const response = await request(server).patch('/items/missing').send({ hidden: true });

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });

  it('DELETE removes an item and its events', async () => {
    await request(server).put('/items/i-1').send({ title: 'One' });
    await request(server).put('/items/i-2').send({ title: 'Two' });
    await request(server)
      .post('/interactions')
      .send([
        { userId: 'u-1', itemId: 'i-1', type: 'view' },
        { userId: 'u-1', itemId: 'i-2', type: 'view' },
      ]);

    const response = await request(server).delete('/items/i-1');

    expect(response.status).toBe(204);
    expect(await countRows(testApp, 'items')).toBe(1);
    expect(await countRows(testApp, 'interactions')).toBe(1);
  });

  it('DELETE unknown item is 404', async () => {
    const response = await request(server).delete('/items/missing');

    expect(response.status).toBe(404);
  });

  it('bulk creates and updates', async () => {
    await request(server).put('/items/i-1').send({ title: 'Old' });

    const response = await bulk([
      { id: 'i-1', title: 'One', categories: ['a'] },
      { id: 'i-2', title: 'Two', hidden: true, publishedAt: '2025-02-01T00:00:00Z' },
      { id: 'i-3', title: 'Three', attributes: { k: 'v' } },
    ]);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ created: 2, updated: 1 });
    expect(await countRows(testApp, 'items')).toBe(3);
    const two = await request(server).get('/items/i-2');
    expect(two.body.hidden).toBe(true);
    expect(two.body.publishedAt).toBe('2025-02-01T00:00:00.000Z');
    const one = await request(server).get('/items/i-1');
    expect(one.body.title).toBe('One');
    expect(one.body.categories).toEqual(['a']);
  });

  it('bulk accepts 1,000 items', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ id: `i-${i}`, title: `T${i}` }));

    const response = await bulk(items);

    expect(response.status).toBe(200);
    expect(response.body.created).toBe(1000);
  });

  it('list filters by category', async () => {
    await bulk([
      { id: 'i-1', title: 'One', categories: ['shoes'] },
      { id: 'i-2', title: 'Two', categories: ['hats'] },
      { id: 'i-3', title: 'Three', categories: ['shoes', 'hats'] },
    ]);

    const response = await request(server).get('/items').query({ category: 'shoes' });

    expect(response.status).toBe(200);
    expect(response.body.data.map((item: { id: string }) => item.id)).toEqual(['i-1', 'i-3']);
    expect(response.body.nextCursor).toBeNull();
  });

  it('list walks every page once', async () => {
    await bulk(Array.from({ length: 11 }, (_, i) => ({ id: `i-${i}`, title: 'T' })));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = { limit: 4 };
      if (cursor !== null) {
        query.cursor = cursor;
      }
      const response = await request(server).get('/items').query(query);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((item: { id: string }) => item.id));
      cursor = response.body.nextCursor;
    } while (cursor !== null);

    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
  });

  it('category filter pages too', async () => {
    await bulk(
      Array.from({ length: 6 }, (_, i) => ({
        id: `i-${i}`,
        title: 'T',
        categories: i % 2 === 0 ? ['even'] : ['odd'],
      })),
    );

    const first = await request(server).get('/items').query({ category: 'even', limit: 2 });
    const second = await request(server)
      .get('/items')
      .query({ category: 'even', limit: 2, cursor: first.body.nextCursor });

    expect(first.body.data.map((item: { id: string }) => item.id)).toEqual(['i-0', 'i-2']);
    expect(second.body.data.map((item: { id: string }) => item.id)).toEqual(['i-4']);
    expect(second.body.nextCursor).toBeNull();
  });

  describe('bad input', () => {
    it.each([
      ['missing title', {}, 'title'],
      ['empty title', { title: '' }, 'title'],
      ['long title', { title: 'x'.repeat(513) }, 'title'],
      ['numeric title', { title: 5 }, 'title'],
      [
        'too many categories',
        { title: 'T', categories: Array.from({ length: 51 }, String) },
        'categories',
      ],
      ['long category', { title: 'T', categories: ['x'.repeat(65)] }, 'categories'],
      ['empty category', { title: 'T', categories: [''] }, 'categories'],
      ['repeated category', { title: 'T', categories: ['a', 'a'] }, 'categories'],
      ['string categories', { title: 'T', categories: 'a' }, 'categories'],
      ['array attributes', { title: 'T', attributes: [] }, 'attributes'],
      ['string hidden', { title: 'T', hidden: 'yes' }, 'hidden'],
      ['unparsable date', { title: 'T', publishedAt: 'yesterday' }, 'publishedAt'],
      ['date without zone', { title: 'T', publishedAt: '2025-01-01T00:00:00' }, 'publishedAt'],
      ['impossible date', { title: 'T', publishedAt: '2025-02-30T00:00:00Z' }, 'publishedAt'],
      ['unknown field', { title: 'T', price: 3 }, 'price'],
    ])('PUT rejects %s', async (_name, body, field) => {
      const response = await request(server).put('/items/i-1').send(body);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe(field);
      expect(response.body.message).toContain(field);
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('error names the value', async () => {
      const response = await request(server).put('/items/i-1').send({ title: 'T', hidden: 'yes' });

      expect(response.body.details[0].value).toBe('yes');
      expect(response.body.message).toContain('"yes"');
    });

    it('NUL in title is rejected', async () => {
      const response = await request(server)
        .put('/items/i-1')
        .set('content-type', 'application/json')
        .send('{"title":"a\\u0000b"}');

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('title');
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk names index and field', async () => {
      const response = await bulk([
        { id: 'i-1', title: 'One' },
        { id: 'i-2', title: 'Two' },
        { id: 'i-3', title: 'Three' },
        { id: 'i-4', title: '' },
      ]);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('items[3].title');
      expect(response.body.details[0].index).toBe(3);
      expect(response.body.message).toContain('items[3].title');
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk lists every problem', async () => {
      const response = await bulk([{ id: '', title: 'One' }, { title: 'Two' }, 'nope']);

      expect(response.status).toBe(400);
      const fields = response.body.details.map((d: { field: string }) => d.field);
      expect(fields).toContain('items[0].id');
      expect(fields).toContain('items[1].id');
      expect(fields).toContain('items[2]');
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk rejects repeated ids', async () => {
      const response = await bulk([
        { id: 'i-1', title: 'One' },
        { id: 'i-2', title: 'Two' },
        { id: 'i-1', title: 'Again' },
      ]);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe('items[2].id');
      expect(response.body.details[0].index).toBe(2);
      expect(response.body.details[0].value).toBe('i-1');
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk over 1,000 is 413', async () => {
      const items = Array.from({ length: 1001 }, (_, i) => ({ id: `i-${i}`, title: 'T' }));

      const response = await bulk(items);

      expect(response.status).toBe(413);
      expect(response.body.code).toBe('BATCH_TOO_LARGE');
      expect(response.body.message).toContain('1001');
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk empty is rejected', async () => {
      const response = await bulk([]);

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('items');
    });

    it('bulk without items is rejected', async () => {
      const response = await request(server).post('/items/bulk').send({});

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('items');
    });

    it('PUT without title says it is required', async () => {
      const response = await request(server)
        .put('/items/m9')
        .send({ categories: ['a'] });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe('title is required');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('title');
      expect(response.body.details[0].value).toBeUndefined();
      expect(response.body.details[0].problem).toBe('is required');
    });

    it('PUT null title must be a string', async () => {
      const response = await request(server).put('/items/m9').send({ title: null });

      expect(response.status).toBe(400);
      expect(response.body.message).toBe('title must be a string (value: null)');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].value).toBeNull();
    });

    it('bulk element without id says it is required', async () => {
      const response = await bulk([{ title: 'One' }]);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe('items[0].id is required');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('items[0].id');
      expect(response.body.details[0].value).toBeUndefined();
      expect(response.body.details[0].index).toBe(0);
    });

    it('string categories get one type problem', async () => {
      const response = await request(server)
        .put('/items/m9')
        .send({ title: 'T', categories: 'Action' });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'categories must be an array of strings (value: "Action")',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('categories');
      expect(response.body.details[0].value).toBe('Action');
    });

    it('repeated category is a duplicate', async () => {
      const response = await request(server)
        .put('/items/m9')
        .send({ title: 'T', categories: ['a', 'a'] });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'categories must not contain duplicates ("a" appears more than once) (value: ["a","a"])',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('categories');
      expect(response.body.details[0].value).toEqual(['a', 'a']);
    });

    it('long category names the element', async () => {
      const response = await request(server)
        .patch('/items/m9')
        .send({ categories: ['ok', 'x'.repeat(65)] });

      expect(response.status).toBe(400);
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('categories');
      expect(response.body.details[0].problem).toBe(
        'element 1 must be 1 to 64 characters long (got 65)',
      );
    });

    it('string hidden must be true or false', async () => {
      const response = await request(server).put('/items/m9').send({ title: 'T', hidden: 'yes' });

      expect(response.status).toBe(400);
      expect(response.body.message).toBe('hidden must be true or false (value: "yes")');
      expect(response.body.details).toHaveLength(1);
    });

    it('limit=abc is one problem with the raw value', async () => {
      const response = await request(server).get('/items?limit=abc');

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'limit must be an integer between 1 and 500 (value: "abc")',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('limit');
      expect(response.body.details[0].value).toBe('abc');
    });

    it.each(['0', '501', '1.5', '-1', '1e2'])('limit=%s shows the value as sent', async (limit) => {
      const response = await request(server).get('/items').query({ limit });

      expect(response.status).toBe(400);
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].value).toBe(limit);
      expect(response.body.details[0].problem).toBe('must be an integer between 1 and 500');
    });

    it('limit=500 is accepted', async () => {
      const response = await request(server).get('/items?limit=500');

      expect(response.status).toBe(200);
    });

    it('repeated cursor must be a string', async () => {
      const response = await request(server).get('/items?cursor=a&cursor=b');

      expect(response.status).toBe(400);
      expect(response.body.message).toBe('cursor must be a string (value: ["a","b"])');
      expect(response.body.details).toHaveLength(1);
    });

    it('bulk string items get one type problem', async () => {
      const response = await request(server).post('/items/bulk').send({ items: 'abc' });

      expect(response.status).toBe(400);
      expect(response.body.message).toBe('items must be an array of JSON objects (value: "abc")');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('items');
    });

    it('bulk non-object element names its type', async () => {
      const response = await bulk([{ id: 'i-1', title: 'One' }, 'nope']);

      expect(response.status).toBe(400);
      expect(response.body.message).toBe(
        'items[1] must be a JSON object, not a string (value: "nope")',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].index).toBe(1);
    });

    it('bulk bare array is not an object', async () => {
      const response = await request(server)
        .post('/items/bulk')
        .send([{ id: 'i-1', title: 'One' }]);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'body must be a JSON object, not an array (value: [{"id":"i-1","title":"One"}])',
      );
      expect(response.body.message).not.toContain('Content-Type');
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('body');
      expect(response.body.details[0].value).toEqual([{ id: 'i-1', title: 'One' }]);
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('bulk without JSON content type is missing', async () => {
      const response = await request(server)
        .post('/items/bulk')
        .set('content-type', 'text/plain')
        .send('{"items":[{"id":"i-1","title":"One"}]}');

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toBe(
        'body is missing; send a JSON body with Content-Type: application/json',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('body');
      expect(response.body.details[0].value).toBeUndefined();
      expect(await countRows(testApp, 'items')).toBe(0);
    });

    it('PUT without a body is missing', async () => {
      const response = await request(server).put('/items/m9');

      expect(response.status).toBe(400);
      expect(response.body.message).toBe(
        'body is missing; send a JSON body with Content-Type: application/json',
      );
      expect(response.body.details).toHaveLength(1);
      expect(response.body.details[0].field).toBe('body');
    });

    it('category query over 64 characters is rejected', async () => {
      const response = await request(server)
        .get('/items')
        .query({ category: 'x'.repeat(65) });

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('category');
    });
  });
});
