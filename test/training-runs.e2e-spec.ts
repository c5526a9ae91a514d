/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { getPriority, hostname } from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import { ActiveModelService } from '../src/models/active-model.service';
import { ModelRegistry } from '../src/models/model-registry';
import { TrainingRunsRepository } from '../src/training/training-runs.repository';
import { createTestApp, TestApp } from './setup/test-app';
import { createTestDatabase } from './setup/test-database';
import { seedInteractions } from './support/models';
import {
  ADMIN_KEY,
  bootApp,
  followRun,
  isAlive,
  last,
  ringInteractions,
  workerPid,
} from './support/training';

/** A model and trainer small enough that a run on the ring data takes a few seconds. */
const TINY_RUN = {
  model: {
    dim: 16,
    heads: 2,
    maxLength: 10,
    encoderBlocks: 1,
    queryCount: 2,
    feedForwardDim: 32,
    dropout: 0,
  },
  trainer: { epochs: 20, batchSize: 16, learningRate: 0.01, warmupSteps: 0, patience: 100 },
  topK: 5,
};
/** One epoch at a learning rate too small to move the weights, so a near-random model. */
const DEGENERATE_RUN = {
  ...TINY_RUN,
  trainer: { ...TINY_RUN.trainer, epochs: 1, learningRate: 1e-7 },
};
/** Runs long enough to be cancelled or killed mid-way. */
const LONG_RUN = { ...TINY_RUN, trainer: { ...TINY_RUN.trainer, epochs: 1000 } };

const RING = ringInteractions(80, 40, 12);

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

describe('training run execution', () => {
  let app: NestExpressApplication;
  let server: App;
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let firstVersionId: string;
  let rejectedVersionId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await bootApp(database.url, { TRAINING_POLL_INTERVAL_MS: '200' });
    server = app.getHttpServer();
    dataSource = app.get(DataSource);
    await seedInteractions(dataSource, RING);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  function admin(method: 'get' | 'post', route: string): request.Test {
    return request(server)[method](route).set('x-api-key', ADMIN_KEY);
  }

  async function startRun(body: object): Promise<string> {
    const response = await admin('post', '/admin/training-runs').send(body);
    expect(response.status).toBe(202);
    return response.body.id as string;
  }

  async function activeVersionId(): Promise<string | undefined> {
    return (await app.get(ModelRegistry).findActive())?.id;
  }

  /**
   * Waits until `versionId` is active. The worker marks a run succeeded just before it
   * activates the promoted version, so a client can see `succeeded` a moment earlier.
   */
  async function waitForActive(versionId: string): Promise<void> {
    await waitUntil(async () => (await activeVersionId()) === versionId, 5000);
  }

  async function versionCount(): Promise<number> {
    const rows: { count: number }[] = await dataSource.query(
      'SELECT count(*)::int AS count FROM model_versions',
    );
    return rows[0].count;
  }

  it('run trains and activates its model', async () => {
    const id = await startRun(TINY_RUN);

    const seen = await followRun(server, id);
    const run = last(seen);

    expect(run.status).toBe('succeeded');
    expect(run.error).toBeNull();
    expect(seen.some((snapshot) => snapshot.status === 'running')).toBe(true);
    expect(run.worker).toMatch(new RegExp(`^${hostname()}:\\d+$`));
    expect(workerPid(run.worker)).not.toBe(process.pid);
    expect(run.dataCutoff).toBe(run.startedAt);
    expect(run.epochs.map((epoch) => epoch.epoch)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    expect(run.epochs.every((epoch) => Number.isFinite(epoch.loss))).toBe(true);
    expect(run.currentEpoch).toBe(20);
    expect(run.examplesPerSecond).toBeGreaterThan(0);
    expect(run.elapsedSeconds).toBeGreaterThan(0);
    expect(run.etaSeconds).toBe(0);
    expect(run.promotion?.decision).toBe('promoted');
    expect(run.promotion?.reason).toBe('no-active-version');
    expect(run.promotion?.candidateNdcg10).toBeGreaterThan(0.5);
    expect(run.modelVersionId).not.toBeNull();
    firstVersionId = run.modelVersionId as string;
    await waitForActive(firstVersionId);
  }, 90_000);

  it('activated model is listed and serves', async () => {
    const models = await admin('get', '/admin/models');
    const activeModel = app.get(ActiveModelService);
    await activeModel.refresh();
    const serving = activeModel.current();
    const history = ['item-3', 'item-4', 'item-5'].map(
      (itemId) => serving?.vocabulary.indexOf(itemId) as number,
    );
    const recommendations = await serving?.recommender.recommend([
      { items: Int32Array.from(history) },
    ]);

    // user-3 walked item-21 … item-32, so the ring continues with item-33.
    const served = await request(server).get('/recommendations?userId=user-3&n=3');

    expect(served.status).toBe(200);
    expect(served.body.source).toBe('model');
    expect(served.body.modelVersion).toBe(firstVersionId);
    expect(served.body.items[0].itemId).toBe('item-33');
    expect(models.status).toBe(200);
    expect(models.body.data[0].id).toBe(firstVersionId);
    expect(models.body.data[0].status).toBe('active');
    expect(serving?.versionId).toBe(firstVersionId);
    expect(recommendations?.items).toHaveLength(5);
    expect(serving?.vocabulary.itemId(recommendations?.items[0] as number)).toBe('item-6');
  });

  it('progress advances and cancel stops the run', async () => {
    const versionsBefore = await versionCount();
    const id = await startRun(LONG_RUN);

    const early = last(await followRun(server, id, (run) => run.epochs.length >= 1));
    const later = last(
      await followRun(server, id, (run) => run.epochs.length >= early.epochs.length + 2),
    );
    const niceness = getPriority(workerPid(later.worker));
    const cancelled = await admin('post', `/admin/training-runs/${id}/cancel`);
    const cancelRequestedAt = Date.now();
    const final = last(await followRun(server, id));

    expect(early.status).toBe('running');
    expect(later.currentEpoch).toBeGreaterThan(early.currentEpoch as number);
    expect(later.elapsedSeconds).toBeGreaterThan(early.elapsedSeconds as number);
    expect(later.etaSeconds).toBeGreaterThan(0);
    expect(later.stepsPerSecond).toBeGreaterThan(0);
    // TRAINING_NICE defaults to 19, so serving keeps the CPU it needs during training.
    expect(niceness).toBe(19);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('running');
    expect(cancelled.body.cancelRequested).toBe(true);
    expect(final.status).toBe('cancelled');
    expect(final.error).toBe('cancelled on request');
    expect(final.modelVersionId).toBeNull();
    expect(Date.parse(final.finishedAt as string) - cancelRequestedAt).toBeLessThan(5000);
    expect(await versionCount()).toBe(versionsBefore);
    expect(await activeVersionId()).toBe(firstVersionId);
  }, 90_000);

  it('worse model is rejected, old one stays active', async () => {
    const id = await startRun(DEGENERATE_RUN);

    const run = last(await followRun(server, id));
    const version = await app.get(ModelRegistry).get(run.modelVersionId as string);
    const activeModel = app.get(ActiveModelService);
    await activeModel.refresh();

    expect(run.status).toBe('succeeded');
    expect(run.promotion?.decision).toBe('rejected');
    expect(run.promotion?.reason).toBe('metric');
    expect(run.promotion?.activeVersionId).toBe(firstVersionId);
    expect(run.promotion?.activeNdcg10).toBeGreaterThan(
      (run.promotion?.candidateNdcg10 as number) + 0.005,
    );
    expect(version.status).toBe('rejected');
    expect(await activeVersionId()).toBe(firstVersionId);
    expect(activeModel.current()?.versionId).toBe(firstVersionId);
    rejectedVersionId = version.id;
  }, 90_000);

  it('rollback switches the active version', async () => {
    const activeModel = app.get(ActiveModelService);

    const toRejected = await admin('post', `/admin/models/${rejectedVersionId}/activate`);
    await activeModel.refresh();
    const servingRejected = activeModel.current()?.versionId;
    const back = await admin('post', `/admin/models/${firstVersionId}/activate`);
    await activeModel.refresh();

    expect(toRejected.status).toBe(200);
    expect(servingRejected).toBe(rejectedVersionId);
    expect(back.status).toBe(200);
    expect(activeModel.current()?.versionId).toBe(firstVersionId);
    expect(await activeVersionId()).toBe(firstVersionId);
  });

  it('force promotes a worse model', async () => {
    const id = await startRun({ ...DEGENERATE_RUN, force: true });

    const run = last(await followRun(server, id));
    await waitForActive(run.modelVersionId as string);
    const forcedVersionId = await activeVersionId();
    await admin('post', `/admin/models/${firstVersionId}/activate`);

    expect(run.status).toBe('succeeded');
    expect(run.promotion?.decision).toBe('promoted');
    expect(run.promotion?.reason).toBe('forced');
    expect(forcedVersionId).toBe(run.modelVersionId);
    expect(await activeVersionId()).toBe(firstVersionId);
  }, 90_000);

  it('killed worker leaves the run failed', async () => {
    const versionsBefore = await versionCount();
    const id = await startRun(LONG_RUN);
    const running = last(await followRun(server, id, (run) => run.epochs.length >= 1));
    const pid = workerPid(running.worker);

    process.kill(pid, 'SIGKILL');
    const final = last(await followRun(server, id));
    const next = await admin('post', '/admin/training-runs').send(TINY_RUN);
    await admin('post', `/admin/training-runs/${next.body.id}/cancel`);
    await followRun(server, next.body.id);

    expect(final.status).toBe('failed');
    expect(final.error).toBe(
      `training worker process ${pid} exited by signal SIGKILL before reporting a result`,
    );
    expect(final.modelVersionId).toBeNull();
    expect(await versionCount()).toBe(versionsBefore);
    expect(await activeVersionId()).toBe(firstVersionId);
    expect(next.status).toBe(202);
  }, 90_000);
});

describe('training recovery after a crash', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let serverProcess: ChildProcess | undefined;
  let restarted: NestExpressApplication | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, poolSize: 2, runMigrations: false });
    await seedInteractions(dataSource, RING);
  });

  afterAll(async () => {
    if (serverProcess?.pid !== undefined && isAlive(serverProcess.pid)) {
      process.kill(-serverProcess.pid, 'SIGKILL');
    }
    await restarted?.close();
    await dataSource.destroy();
    await database.drop();
  });

  it('restart marks the orphaned run failed', async () => {
    // The built service runs as its own process group, so one SIGKILL ends it and its
    // training worker together, as a machine crash or an OOM kill of the container would.
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    serverProcess = spawn(process.execPath, [path.resolve('dist/src/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'silent',
        ADMIN_API_KEY: ADMIN_KEY,
        TRAINING_POLL_INTERVAL_MS: '200',
      },
      detached: true,
      stdio: 'ignore',
    });
    await waitForHealth(baseUrl);
    const first = await request(baseUrl)
      .post('/admin/training-runs')
      .set('x-api-key', ADMIN_KEY)
      .send(TINY_RUN);
    const firstRun = last(await followRun(baseUrl, first.body.id));
    const long = await request(baseUrl)
      .post('/admin/training-runs')
      .set('x-api-key', ADMIN_KEY)
      .send(LONG_RUN);
    const running = last(await followRun(baseUrl, long.body.id, (run) => run.epochs.length >= 1));
    const pid = workerPid(running.worker);

    process.kill(-(serverProcess.pid as number), 'SIGKILL');
    await waitUntil(() => !isAlive(pid) && !isAlive(serverProcess?.pid as number));
    const beforeRestart = await runStatus(dataSource, long.body.id);
    restarted = await bootApp(database.url, { TRAINING_RUNNER_ENABLED: 'false' });
    const afterRestart = await runStatus(dataSource, long.body.id);
    const active = await new ModelRegistry(dataSource).findActive();
    const versions: { count: number }[] = await dataSource.query(
      'SELECT count(*)::int AS count FROM model_versions',
    );

    expect(firstRun.status).toBe('succeeded');
    expect(beforeRestart.status).toBe('running');
    expect(afterRestart.status).toBe('failed');
    expect(afterRestart.error).toBe(`worker process ${pid} on ${hostname()} is not running`);
    expect(active?.id).toBe(firstRun.modelVersionId);
    expect(versions[0].count).toBe(1);
  }, 120_000);

  it('missed heartbeats mark a run failed', async () => {
    const rows: { id: string }[] = await dataSource.query(
      `INSERT INTO training_runs (status, worker, started_at, heartbeat_at)
       VALUES ('running', 'other-host:4242', now() - interval '5 minutes',
               now() - interval '2 minutes')
       RETURNING id`,
    );

    const app = await bootApp(database.url, {
      TRAINING_RUNNER_ENABLED: 'false',
      TRAINING_HEARTBEAT_TIMEOUT_SECONDS: '60',
    });
    await app.close();
    const run = await runStatus(dataSource, rows[0].id);

    expect(run.status).toBe('failed');
    expect(run.error).toBe(
      'no heartbeat from worker other-host:4242 for more than 60 seconds; ' +
        'its process is gone or stuck',
    );
  });

  it('shutdown stops the worker and fails its run', async () => {
    const app = await bootApp(database.url, { TRAINING_POLL_INTERVAL_MS: '200' });
    const created = await request(app.getHttpServer())
      .post('/admin/training-runs')
      .set('x-api-key', ADMIN_KEY)
      .send(LONG_RUN);
    const running = last(
      await followRun(app.getHttpServer(), created.body.id, (run) => run.epochs.length >= 1),
    );
    const pid = workerPid(running.worker);

    await app.close();
    const run = await runStatus(dataSource, created.body.id);

    expect(isAlive(pid)).toBe(false);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('the API instance stopped during the run');
  }, 60_000);
});

describe('training with two instances', () => {
  let database: { url: string; drop: () => Promise<void> };
  let apps: NestExpressApplication[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database.drop();
  });

  it('concurrent claims take a run once', async () => {
    const sources = await Promise.all(
      [1, 2].map(() => openDataSource({ url: database.url, poolSize: 5, runMigrations: false })),
    );
    try {
      const repositories = sources.map((source) => new TrainingRunsRepository(source));
      const queued = await repositories[0].insert({ model: {}, trainer: {} }, false, 'api');

      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          repositories[index % 2].claimNext(`test:${index}`),
        ),
      );

      const claimed = claims.filter((claim) => claim !== undefined);
      expect(queued.inserted).toBe(true);
      expect(claimed).toHaveLength(1);
      expect(claimed[0]?.status).toBe('running');
      await sources[0].query('DELETE FROM training_runs');
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
    }
  });

  it('a queued run executes once', async () => {
    apps = [
      await bootApp(database.url, { TRAINING_POLL_INTERVAL_MS: '100' }),
      await bootApp(database.url, { TRAINING_POLL_INTERVAL_MS: '100' }),
    ];
    const dataSource = apps[0].get(DataSource);
    await seedInteractions(dataSource, RING);

    // Inserted directly, so no instance is woken by a request and both claim by polling.
    const rows: { id: string }[] = await dataSource.query(
      `INSERT INTO training_runs (parameters) VALUES ($1) RETURNING id`,
      [JSON.stringify({ model: TINY_RUN.model, trainer: TINY_RUN.trainer, topK: 5 })],
    );
    const run = last(await followRun(apps[1].getHttpServer(), rows[0].id));
    const versions: { count: number }[] = await dataSource.query(
      'SELECT count(*)::int AS count FROM model_versions WHERE training_run_id = $1',
      [run.id],
    );
    const runs: { count: number }[] = await dataSource.query(
      'SELECT count(*)::int AS count FROM training_runs',
    );

    expect(run.status).toBe('succeeded');
    expect(versions[0].count).toBe(1);
    expect(runs[0].count).toBe(1);
  }, 90_000);

  it('cancel reaches a worker of another instance', async () => {
    // This instance executes nothing, so the cancel reaches the worker only through the
    // cancel flag in the database.
    const observer = await bootApp(database.url, { TRAINING_RUNNER_ENABLED: 'false' });
    apps.push(observer);
    const server = observer.getHttpServer();
    const created = await request(server)
      .post('/admin/training-runs')
      .set('x-api-key', ADMIN_KEY)
      .send(LONG_RUN);
    await followRun(server, created.body.id, (run) => run.epochs.length >= 1);

    const cancelled = await request(server)
      .post(`/admin/training-runs/${created.body.id}/cancel`)
      .set('x-api-key', ADMIN_KEY);
    const cancelRequestedAt = Date.now();
    const final = last(await followRun(server, created.body.id));

    expect(cancelled.status).toBe(202);
    expect(final.status).toBe('cancelled');
    expect(Date.parse(final.finishedAt as string) - cancelRequestedAt).toBeLessThan(5000);
  }, 60_000);
});

describe('scheduled training', () => {
  let database: { url: string; drop: () => Promise<void> };
  const apps: NestExpressApplication[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database.drop();
  });

  it('RETRAIN_INTERVAL queues one run per interval', async () => {
    const env = { RETRAIN_INTERVAL: '1h', TRAINING_RUNNER_ENABLED: 'false' };

    apps.push(await bootApp(database.url, env));
    const dataSource = apps[0].get(DataSource);
    const afterFirst: { trigger: string; status: string }[] = await dataSource.query(
      'SELECT trigger, status FROM training_runs',
    );
    await dataSource.query(`UPDATE training_runs SET status = 'cancelled', finished_at = now()`);
    apps.push(await bootApp(database.url, env));
    const afterSecond: { count: number }[] = await dataSource.query(
      'SELECT count(*)::int AS count FROM training_runs',
    );
    await dataSource.query(`UPDATE training_runs SET created_at = now() - interval '2 hours'`);
    apps.push(await bootApp(database.url, env));
    const afterThird: { count: number }[] = await dataSource.query(
      `SELECT count(*)::int AS count FROM training_runs WHERE status = 'queued'`,
    );

    expect(afterFirst).toEqual([{ trigger: 'schedule', status: 'queued' }]);
    expect(afterSecond[0].count).toBe(1);
    expect(afterThird[0].count).toBe(1);
  });
});

async function runStatus(
  dataSource: DataSource,
  id: string,
): Promise<{ status: string; error: string | null }> {
  const rows: { status: string; error: string | null }[] = await dataSource.query(
    'SELECT status, error FROM training_runs WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error('failed to get a free port');
  }
  return address.port;
}

async function waitForHealth(baseUrl: string): Promise<void> {
  await waitUntil(async () => {
    try {
      return (await request(baseUrl).get('/health/ready')).status === 200;
    } catch {
      return false;
    }
  }, 30_000);
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function countRuns(testApp: TestApp): Promise<number> {
  const rows: { count: number }[] = await testApp.app
    .get(DataSource)
    .query('SELECT count(*)::int AS count FROM training_runs');
  return rows[0].count;
}
