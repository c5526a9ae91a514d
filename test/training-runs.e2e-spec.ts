import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from './setup/test-app';

const ADMIN_KEY = 'admin-key-0123456789';

describe('training runs API', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    // No runner: runs stay queued, so the API can be checked without training.
    testApp = await createTestApp({ TRAINING_RUNNER_ENABLED: 'false', ADMIN_API_KEY: ADMIN_KEY });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  beforeEach(async () => {
    await testApp.app.get(DataSource).query('DELETE FROM training_runs');
  });

  function admin(method: 'get' | 'post', path: string): request.Test {
    return request(server)[method](path).set('x-api-key', ADMIN_KEY);
  }

  it('POST queues a run', async () => {
    const response = await admin('post', '/admin/training-runs').send({
      model: { dim: 16, heads: 2 },
      trainer: { epochs: 2 },
    });

    expect(response.status).toBe(202);
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.status).toBe('queued');
    expect(response.body.trigger).toBe('api');
    expect(response.body.force).toBe(false);
    expect(response.body.parameters).toEqual({
      model: { dim: 16, heads: 2 },
      trainer: { epochs: 2 },
    });
    expect(response.body.startedAt).toBeNull();
    expect(response.body.epochs).toEqual([]);
  });

  it('POST without a body queues a run', async () => {
    const response = await admin('post', '/admin/training-runs');

    expect(response.status).toBe(202);
    expect(response.body.parameters).toEqual({ model: {}, trainer: {} });
  });

  it('second POST is 409 with the pending id', async () => {
    const first = await admin('post', '/admin/training-runs').send({});

    const second = await admin('post', '/admin/training-runs').send({ force: true });

    expect(second.status).toBe(409);
    expect(second.body.code).toBe('TRAINING_RUN_IN_PROGRESS');
    expect(second.body.details).toEqual([
      { field: 'runId', value: first.body.id, problem: 'is queued' },
    ]);
    expect(second.body.message).toContain(first.body.id);
  });

  it('concurrent POSTs queue exactly one run', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => admin('post', '/admin/training-runs').send({})),
    );

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409]);
    const queuedId = responses.find((response) => response.status === 202)?.body.id;
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.body.details[0].value).toBe(queuedId);
    }
  });

  it('POST with bad overrides is 400', async () => {
    const response = await admin('post', '/admin/training-runs').send({
      model: { dim: 2048, heads: 3, pooling: 'mean' },
      trainer: { learningRate: -1 },
      force: 1,
    });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    const byField = new Map(
      (response.body.details as { field: string; value: unknown; problem: string }[]).map(
        (detail) => [detail.field, detail],
      ),
    );
    expect(byField.get('model.dim')).toEqual({
      field: 'model.dim',
      value: 2048,
      problem: 'must be an integer from 1 to 1024',
    });
    expect(byField.get('trainer.learningRate')).toEqual({
      field: 'trainer.learningRate',
      value: -1,
      problem: 'must be a number greater than 0 and at most 1',
    });
    expect(byField.get('model.pooling')?.problem).toMatch(/^is not an allowed field/);
    expect(byField.get('force')?.problem).toBe('must be true or false, not a number');
    expect(await countRuns(testApp)).toBe(0);
  });

  it('POST with heads not dividing dim is 400', async () => {
    const response = await admin('post', '/admin/training-runs').send({
      model: { dim: 30, heads: 4 },
    });

    expect(response.status).toBe(400);
    expect(response.body.message).toBe('model.heads must divide dim 30 (value: 4)');
  });

  it('routes need the admin key', async () => {
    const missing = await request(server).post('/admin/training-runs').send({});
    const wrong = await request(server)
      .get('/admin/training-runs')
      .set('x-api-key', 'not-the-admin-key-000');

    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await countRuns(testApp)).toBe(0);
  });

  it('GET returns a run', async () => {
    const created = await admin('post', '/admin/training-runs').send({ trainer: { epochs: 1 } });

    const response = await admin('get', `/admin/training-runs/${created.body.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(created.body);
  });

  it('GET unknown run is 404', async () => {
    const response = await admin(
      'get',
      '/admin/training-runs/00000000-0000-4000-8000-000000000000',
    );

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });

  it('GET with a malformed id is 400', async () => {
    const response = await admin('get', '/admin/training-runs/42');

    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      { field: 'id', value: '42', problem: 'must be a UUID' },
    ]);
  });

  it('cancel ends a queued run at once', async () => {
    const created = await admin('post', '/admin/training-runs').send({});

    const cancelled = await admin('post', `/admin/training-runs/${created.body.id}/cancel`);
    const again = await admin('post', `/admin/training-runs/${created.body.id}/cancel`);
    const next = await admin('post', '/admin/training-runs').send({});

    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.cancelRequested).toBe(true);
    expect(cancelled.body.finishedAt).not.toBeNull();
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('TRAINING_RUN_FINISHED');
    expect(next.status).toBe(202);
  });

  it('cancel of an unknown run is 404', async () => {
    const response = await admin(
      'post',
      '/admin/training-runs/00000000-0000-4000-8000-000000000000/cancel',
    );

    expect(response.status).toBe(404);
  });

  it('GET lists runs newest first, paginated', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const created = await admin('post', '/admin/training-runs').send({});
      ids.push(created.body.id);
      await admin('post', `/admin/training-runs/${created.body.id}/cancel`);
    }

    const first = await admin('get', '/admin/training-runs?limit=2');
    const second = await admin(
      'get',
      `/admin/training-runs?limit=2&cursor=${first.body.nextCursor}`,
    );
    const third = await admin(
      'get',
      `/admin/training-runs?limit=2&cursor=${second.body.nextCursor}`,
    );

    const listed = [...first.body.data, ...second.body.data, ...third.body.data].map(
      (run: { id: string }) => run.id,
    );
    expect(listed).toEqual([...ids].reverse());
    expect(third.body.nextCursor).toBeNull();
  });

  it('GET list rejects a bad cursor', async () => {
    const response = await admin('get', '/admin/training-runs?cursor=abc');

    expect(response.status).toBe(400);
    expect(response.body.details[0].field).toBe('cursor');
  });
});

async function countRuns(testApp: TestApp): Promise<number> {
  const rows: { count: number }[] = await testApp.app
    .get(DataSource)
    .query('SELECT count(*)::int AS count FROM training_runs');
  return rows[0].count;
}
