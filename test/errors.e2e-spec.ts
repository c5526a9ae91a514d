import request from 'supertest';
import type { App } from 'supertest/types';
import { createTestApp, TestApp } from './setup/test-app';
import { countRows } from './support/database';

const API_KEY = 'test-key-0123456789';

describe('error responses', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    testApp = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('malformed JSON is INVALID_JSON', async () => {
    const response = await request(server)
      .post('/interactions')
      .set('content-type', 'application/json')
      .send('{"userId": "u-1",');

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_JSON');
    expect(response.body.statusCode).toBe(400);
    expect(response.body.message).toContain('not valid JSON');
    expect(response.body.details[0].field).toBe('body');
    expect(await countRows(testApp, 'interactions')).toBe(0);
  });

  it('JSON scalar body is INVALID_JSON', async () => {
    const response = await request(server)
      .put('/users/u-1')
      .set('content-type', 'application/json')
      .send('"just a string"');

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_JSON');
    expect(await countRows(testApp, 'users')).toBe(0);
  });

  it('oversized body is 413', async () => {
    const response = await request(server)
      .put('/users/u-1')
      .send({ attributes: { blob: 'x'.repeat(4000) } });

    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.body.message).toContain('2048 bytes');
    expect(await countRows(testApp, 'users')).toBe(0);
  });

  it('unsupported charset is 415', async () => {
    const response = await request(server)
      .put('/users/u-1')
      .set('content-type', 'application/json; charset=latin-9')
      .send('{}');

    expect(response.status).toBe(415);
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown route is ROUTE_NOT_FOUND', async () => {
    const response = await request(server).get('/nowhere');

    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
      message: 'Cannot GET /nowhere',
      details: [],
    });
  });

  it('wrong method is ROUTE_NOT_FOUND', async () => {
    const response = await request(server).post('/users/u-1').send({});

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('responses carry a request id', async () => {
    const response = await request(server).get('/users/nobody').set('x-request-id', 'req-123');

    expect(response.headers['x-request-id']).toBe('req-123');
  });
});

describe('API key', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    testApp = await createTestApp({ API_KEY });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('missing key is 401', async () => {
    const response = await request(server).get('/users');

    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      statusCode: 401,
      code: 'UNAUTHORIZED',
      message: 'missing x-api-key header',
      details: [],
    });
  });

  it('wrong key is 401', async () => {
    const response = await request(server).get('/users').set('x-api-key', 'wrong-key-0123456789');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
    expect(response.body.message).toContain('invalid API key');
  });

  it('rejected write stores nothing', async () => {
    const response = await request(server).put('/users/u-1').send({});

    expect(response.status).toBe(401);
    expect(await countRows(testApp, 'users')).toBe(0);
  });

  it('right key is accepted', async () => {
    const response = await request(server).get('/users').set('x-api-key', API_KEY);

    expect(response.status).toBe(200);
  });

  it('health stays public', async () => {
    const response = await request(server).get('/health/live');

    expect(response.status).toBe(200);
  });

  it('docs stay public', async () => {
    const response = await request(server).get('/docs/json');

    expect(response.status).toBe(200);
  });

  it('no key configured leaves the API open', async () => {
    const open = await createTestApp();
    try {
      const response = await request(open.app.getHttpServer()).get('/users');

      expect(response.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('OpenAPI document', () => {
  let testApp: TestApp;
  let paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  let document: { components: { schemas: Record<string, unknown> } };

  beforeAll(async () => {
    testApp = await createTestApp();
    const response = await request(testApp.app.getHttpServer()).get('/docs/json');
    paths = response.body.paths;
    document = response.body;
  });

  afterAll(async () => {
    await testApp.close();
  });

  it.each([
    ['/users/{id}', 'put'],
    ['/users/{id}', 'get'],
    ['/users/{id}', 'delete'],
    ['/users', 'get'],
    ['/users/{id}/interactions', 'get'],
    ['/items/{id}', 'put'],
    ['/items/{id}', 'patch'],
    ['/items/{id}', 'get'],
    ['/items/{id}', 'delete'],
    ['/items', 'get'],
    ['/items/bulk', 'post'],
    ['/interactions', 'post'],
  ])('documents %s %s', (path, method) => {
    expect(paths[path]?.[method]).toBeDefined();
    expect(paths[path][method].responses['400']).toBeDefined();
  });

  it('documents the error shape', () => {
    expect(document.components.schemas.ErrorResponseDto).toBeDefined();
  });
});
