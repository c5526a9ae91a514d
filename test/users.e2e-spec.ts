import request from 'supertest';
import type { App } from 'supertest/types';
import { createTestApp, TestApp } from './setup/test-app';
import { countRows, truncateAll } from './support/database';

describe('users', () => {
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

  it('PUT creates a user', async () => {
    const response = await request(server)
      .put('/users/u-1')
      .send({ attributes: { country: 'DE' } });

    expect(response.status).toBe(201);
    expect(response.body.id).toBe('u-1');
    expect(response.body.attributes).toEqual({ country: 'DE' });
    expect(typeof response.body.createdAt).toBe('string');
    expect(typeof response.body.updatedAt).toBe('string');
  });

  it('PUT replaces attributes', async () => {
    await request(server)
      .put('/users/u-1')
      .send({ attributes: { country: 'DE', plan: 'pro' } });

    const response = await request(server)
      .put('/users/u-1')
      .send({ attributes: { country: 'FR' } });

    expect(response.status).toBe(200);
    expect(response.body.attributes).toEqual({ country: 'FR' });
    expect(await countRows(testApp, 'users')).toBe(1);
  });

  it('PUT without attributes stores {}', async () => {
    const response = await request(server).put('/users/u-1').send({});

    expect(response.status).toBe(201);
    expect(response.body.attributes).toEqual({});
  });

  it('GET returns a user', async () => {
    await request(server)
      .put('/users/u-1')
      .send({ attributes: { a: 1 } });

    const response = await request(server).get('/users/u-1');

    expect(response.status).toBe(200);
    expect(response.body.id).toBe('u-1');
    expect(response.body.attributes).toEqual({ a: 1 });
  });

  it('GET unknown user is 404', async () => {
    const response = await request(server).get('/users/nobody');

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(response.body.message).toContain('"nobody"');
    expect(response.body.details[0]).toEqual({
      field: 'id',
      value: 'nobody',
      problem: 'no user has this id',
    });
  });

  it('ids keep unicode and spaces', async () => {
    const id = 'ünï cödé 用户';

    const put = await request(server)
      .put(`/users/${encodeURIComponent(id)}`)
      .send({});
    const get = await request(server).get(`/users/${encodeURIComponent(id)}`);

    expect(put.status).toBe(201);
    expect(get.body.id).toBe(id);
  });

  it('DELETE removes a user', async () => {
    await request(server).put('/users/u-1').send({});

    const response = await request(server).delete('/users/u-1');

    expect(response.status).toBe(204);
    expect(await countRows(testApp, 'users')).toBe(0);
  });

  it('DELETE unknown user is 404', async () => {
    const response = await request(server).delete('/users/nobody');

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });

  it('DELETE cascades to interactions', async () => {
    await request(server).put('/items/i-1').send({ title: 'One' });
    await request(server)
      .post('/interactions')
      .send([
        { userId: 'u-1', itemId: 'i-1', type: 'view' },
        { userId: 'u-1', itemId: 'i-1', type: 'click' },
        { userId: 'u-2', itemId: 'i-1', type: 'view' },
      ]);

    const response = await request(server).delete('/users/u-1');

    expect(response.status).toBe(204);
    expect(await countRows(testApp, 'interactions')).toBe(1);
    expect(await countRows(testApp, 'items')).toBe(1);
  });

  it('list walks every page once', async () => {
    for (let i = 0; i < 7; i += 1) {
      await request(server).put(`/users/u-${i}`).send({});
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { limit: 3 };
      if (cursor !== null) {
        query.cursor = cursor;
      }
      const response = await request(server).get('/users').query(query);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((user: { id: string }) => user.id));
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor !== null);

    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it('list defaults to 50 per page', async () => {
    const response = await request(server).get('/users');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: [], nextCursor: null });
  });

  describe('bad input', () => {
    it.each([
      ['0', 'limit'],
      ['501', 'limit'],
      ['-1', 'limit'],
      ['abc', 'limit'],
      ['1.5', 'limit'],
    ])('limit=%s is rejected', async (limit, field) => {
      const response = await request(server).get('/users').query({ limit });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe(field);
      expect(response.body.message).toContain('limit');
    });

    it('forged cursor is rejected', async () => {
      const response = await request(server).get('/users').query({ cursor: 'not-a-cursor' });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe('cursor');
      expect(response.body.details[0].value).toBe('not-a-cursor');
    });

    it('unknown query parameter is rejected', async () => {
      const response = await request(server).get('/users').query({ sort: 'name' });

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('sort');
    });

    it('id over 128 characters is rejected', async () => {
      const id = 'x'.repeat(129);

      const response = await request(server).put(`/users/${id}`).send({});

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe('id');
      expect(response.body.details[0].problem).toContain('128');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('id of 128 characters is accepted', async () => {
      const response = await request(server)
        .put(`/users/${'x'.repeat(128)}`)
        .send({});

      expect(response.status).toBe(201);
    });

    it('control character in id is rejected', async () => {
      const response = await request(server).put('/users/bad%01id').send({});

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('id');
      expect(response.body.details[0].problem).toContain('control characters');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('NUL in id is rejected', async () => {
      const response = await request(server).get('/users/a%00b');

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('id');
    });

    it('attributes must be an object', async () => {
      const response = await request(server)
        .put('/users/u-1')
        .send({ attributes: [1, 2] });

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('attributes');
      expect(response.body.details[0].problem).toBe('must be a JSON object');
      expect(response.body.message).toContain('attributes');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('oversized attributes are rejected', async () => {
      const response = await request(server)
        .put('/users/u-1')
        .send({ attributes: { blob: 'x'.repeat(20000) } });

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('attributes');
      expect(response.body.details[0].problem).toContain('16384 bytes');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('NUL inside attributes is rejected', async () => {
      const response = await request(server)
        .put('/users/u-1')
        .set('content-type', 'application/json')
        .send('{"attributes":{"note":"a\\u0000b"}}');

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('attributes');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('lone surrogate inside attributes is rejected', async () => {
      const response = await request(server)
        .put('/users/u-1')
        .set('content-type', 'application/json')
        .send('{"attributes":{"note":"\\ud800"}}');

      expect(response.status).toBe(400);
      expect(response.body.details[0].problem).toContain('lone surrogate');
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('unknown body field is rejected', async () => {
      const response = await request(server).put('/users/u-1').send({ name: 'Ann' });

      expect(response.status).toBe(400);
      expect(response.body.details[0]).toEqual({
        field: 'name',
        value: 'Ann',
        problem: 'is not an allowed field',
      });
      expect(await countRows(testApp, 'users')).toBe(0);
    });

    it('array body is rejected', async () => {
      const response = await request(server).put('/users/u-1').send([{}]);

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('body');
      expect(await countRows(testApp, 'users')).toBe(0);
    });
  });
});
