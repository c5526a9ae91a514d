/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { ActiveModelService, ModelServingOptions } from '../src/models/active-model.service';
import { registerEnsemble } from '../src/models/ensemble-versions';
import { ModelRegistry, ModelVersionSummary } from '../src/models/model-registry';
import { ModelLoadError } from '../src/model/qformer/model-store';
import { ModelVersionNotFoundError } from '../src/models/models.exceptions';
import { createTestApp, TestApp } from './setup/test-app';
import { TINY_CONFIG, untrainedModel, waitFor } from './support/models';

const ADMIN_KEY = 'admin-key-0123456789';
const API_KEY = 'user-key-0123456789';
const ITEM_IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('model registry', () => {
  let testApp: TestApp;
  let server: App;
  let dataSource: DataSource;
  let registry: ModelRegistry;
  let activeModel: ActiveModelService;
  const extraServices: ActiveModelService[] = [];

  beforeAll(async () => {
    testApp = await createTestApp({ ADMIN_API_KEY: ADMIN_KEY, API_KEY });
    server = testApp.app.getHttpServer();
    dataSource = testApp.app.get(DataSource);
    registry = testApp.app.get(ModelRegistry);
    activeModel = testApp.app.get(ActiveModelService);
  });

  afterEach(async () => {
    for (const service of extraServices.splice(0)) {
      await service.stop();
    }
  });

  afterAll(async () => {
    await testApp.close();
  });

  function register(seed: number, status: 'registered' | 'rejected' = 'registered') {
    return registry.register({
      contents: untrainedModel(ITEM_IDS, seed, { validation: { ndcg10: seed / 100 } }),
      eventTypes: ['click', 'view'],
      dataCutoff: new Date('2026-01-02T03:04:05.000Z'),
      status,
    });
  }

  /** Starts another instance's ActiveModelService on the same database. */
  async function startService(
    options: Partial<ModelServingOptions>,
    serviceRegistry = new ModelRegistry(dataSource),
  ): Promise<ActiveModelService> {
    const service = new ActiveModelService(serviceRegistry, {
      databaseUrl: testApp.databaseUrl,
      listen: true,
      pollIntervalMs: 0,
      reconnectDelayMs: 50,
      ...options,
    });
    extraServices.push(service);
    await service.start();
    return service;
  }

  async function statuses(): Promise<Record<string, string>> {
    const rows: { id: string; status: string }[] = await dataSource.query(
      'SELECT id, status FROM model_versions',
    );
    return Object.fromEntries(rows.map((row) => [row.id, row.status]));
  }

  it('registers a complete version', async () => {
    const version = await register(1);

    expect(version.status).toBe('registered');
    expect(version.itemCount).toBe(ITEM_IDS.length);
    expect(version.eventTypes).toEqual(['click', 'view']);
    expect(version.dataCutoff?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(version.activatedAt).toBeNull();
    expect(version.metrics).toEqual({ validation: { ndcg10: 0.01 } });
    expect(await registry.get(version.id)).toEqual(version);
  });

  it('activates a version and finds it active', async () => {
    const version = await register(2);

    const activated = await registry.activate(version.id);
    const active = await registry.findActive();

    expect(activated.status).toBe('active');
    expect(activated.activatedAt).toBeInstanceOf(Date);
    expect(active?.id).toBe(version.id);
  });

  it('keeps exactly one version active', async () => {
    const first = await register(3);
    const second = await register(4);

    await registry.activate(first.id);
    await registry.activate(second.id);
    const after = await statuses();

    expect(after[first.id]).toBe('inactive');
    expect(after[second.id]).toBe('active');
    expect(Object.values(after).filter((status) => status === 'active')).toHaveLength(1);
  });

  it('serialises concurrent activations', async () => {
    const versions = await Promise.all([5, 6, 7, 8].map((seed) => register(seed)));

    await Promise.all(versions.map((version) => registry.activate(version.id)));
    const after = await statuses();

    expect(Object.values(after).filter((status) => status === 'active')).toHaveLength(1);
  });

  it('activates a rejected version on request', async () => {
    const rejected = await register(9, 'rejected');

    const activated = await registry.activate(rejected.id);

    expect(activated.status).toBe('active');
  });

  it('rejects an unknown version id', async () => {
    await expect(registry.activate(UNKNOWN_ID)).rejects.toThrow(ModelVersionNotFoundError);
    await expect(registry.get('not-a-uuid')).rejects.toThrow(ModelVersionNotFoundError);
    await expect(registry.loadArtifact(UNKNOWN_ID)).rejects.toThrow(ModelVersionNotFoundError);
  });

  it('registers an ensemble of versions', async () => {
    const first = await register(20);
    const later = await registry.register({
      contents: untrainedModel(ITEM_IDS, 21),
      eventTypes: ['click', 'view'],
      dataCutoff: new Date('2026-02-01T00:00:00.000Z'),
      status: 'registered',
    });

    const ensemble = await registerEnsemble(registry, [later.id, first.id], { topK: 4 });
    const artifact = await registry.loadArtifact(ensemble.id);
    await artifact.session.release();

    expect(ensemble.status).toBe('registered');
    expect(ensemble.config.ensembleMembers).toBe(2);
    expect(ensemble.eventTypes).toEqual(['click', 'view']);
    expect(ensemble.dataCutoff?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(artifact.manifest.topK).toBe(4);
  });

  it('rejects ensemble members with other event types', async () => {
    const first = await register(22);
    const other = await registry.register({
      contents: untrainedModel(ITEM_IDS, 23),
      eventTypes: ['view'],
      dataCutoff: null,
      status: 'registered',
    });
    const before = await registry.list();

    await expect(registerEnsemble(registry, [first.id, other.id])).rejects.toThrow(
      `model version ${other.id} has event types ["view"] but model version ${first.id} ` +
        'has ["click","view"]; train the members on the same data',
    );
    expect(await registry.list()).toHaveLength(before.length);
  });

  it('loads an artifact that recommends', async () => {
    const version = await register(10);

    const artifact = await registry.loadArtifact(version.id);
    const histories = [{ items: Int32Array.of(1, 2) }];
    const { QFormerRecommender } = await import('../src/model/qformer/recommender');
    const recommender = new QFormerRecommender(artifact);
    const result = await recommender.recommend(histories);
    await recommender.release();

    expect(artifact.versionId).toBe(version.id);
    expect(artifact.eventTypes).toEqual(['click', 'view']);
    expect(result.items).toHaveLength(3);
  });

  describe('active model service', () => {
    it('serves none before any activation', async () => {
      await dataSource.query(
        `UPDATE model_versions SET status = 'inactive' WHERE status = 'active'`,
      );
      const other = await startService({ listen: false, pollIntervalMs: 0 });

      const seen = await other.use((model) => Promise.resolve(model));

      expect(other.current()).toBeNull();
      expect(seen).toBeNull();
    });

    it('keeps the previous version when a new one fails to load', async () => {
      const good = await register(30);
      const corrupted = await register(31);
      await activeModel.activate(good.id);
      await dataSource.query(
        `UPDATE model_versions SET onnx = overlay(onnx placing '\\x00'::bytea from 20) WHERE id = $1`,
        [corrupted.id],
      );

      await registry.activate(corrupted.id);
      const refreshing = activeModel.refresh();

      await expect(refreshing).rejects.toThrow(ModelLoadError);
      await expect(activeModel.refresh()).rejects.toThrow(/fails its checksum/);
      expect(activeModel.current()?.versionId).toBe(good.id);
      await activeModel.activate(good.id);
    });

    it('serves the version activated through it', async () => {
      const version = await register(11);

      await activeModel.activate(version.id);

      expect(activeModel.current()?.versionId).toBe(version.id);
      expect(activeModel.current()?.vocabulary.size).toBe(ITEM_IDS.length);
    });

    it('runs short histories in shorter windows', async () => {
      const version = await registry.register({
        contents: untrainedModel(ITEM_IDS, 40, {}, { ...TINY_CONFIG, maxLength: 32 }),
        eventTypes: ['view'],
        dataCutoff: null,
        status: 'registered',
      });

      await activeModel.activate(version.id);
      const recommender = activeModel.current()!.recommender;
      const result = await recommender.recommend([{ items: Int32Array.of(1, 2) }]);

      expect(recommender.windowLengths).toEqual([8, 16, 32]);
      expect(result.items).toHaveLength(3);
    });

    it('switches another instance through NOTIFY', async () => {
      const first = await register(12);
      await registry.activate(first.id);
      const other = await startService({ listen: true, pollIntervalMs: 0 });
      expect(other.current()?.versionId).toBe(first.id);

      const second = await register(13);
      await registry.activate(second.id);

      await waitFor('the NOTIFY switch', () => other.current()?.versionId === second.id);
    });

    it('switches through polling without LISTEN', async () => {
      const other = await startService({ listen: false, pollIntervalMs: 50 });
      const version = await register(14);

      await registry.activate(version.id);

      await waitFor('the polling switch', () => other.current()?.versionId === version.id);
    });

    it('waits on stop for a poll', async () => {
      await dataSource.query(
        `UPDATE model_versions SET status = 'inactive' WHERE status = 'active'`,
      );
      const otherRegistry = new ModelRegistry(dataSource);
      const other = await startService({ listen: false, pollIntervalMs: 20 }, otherRegistry);
      const readEncoded = jest.spyOn(otherRegistry, 'readEncoded');
      const findActiveId = otherRegistry.findActiveId.bind(otherRegistry);
      let pollStarted!: () => void;
      let openGate!: () => void;
      const polling = new Promise<void>((resolve) => (pollStarted = resolve));
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      jest.spyOn(otherRegistry, 'findActiveId').mockImplementation(async () => {
        pollStarted();
        await gate;
        return findActiveId();
      });
      await registry.activate((await register(18)).id);
      await polling;

      const stopping = other.stop();
      openGate();
      await stopping;
      // A poll that loaded after stop would start a worker thread that nothing releases.
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(readEncoded).not.toHaveBeenCalled();
      expect(other.current()).toBeNull();
    });

    it('waits on stop for an activation', async () => {
      const other = await startService({ listen: false, pollIntervalMs: 0 });
      const version = await register(19);
      let settled = false;
      const activation = other.activate(version.id).finally(() => (settled = true));

      await other.stop();

      expect(settled).toBe(true);
      await expect(activation).resolves.toMatchObject({ id: version.id, status: 'active' });
      expect(other.current()).toBeNull();
    });

    it('reconnects a lost LISTEN connection', async () => {
      const other = await startService({ listen: true, pollIntervalMs: 0 });
      await dataSource.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'qrec-model-listener' AND datname = current_database()`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const version = await register(15);

      await registry.activate(version.id);

      await waitFor('the switch after reconnecting', () => {
        return other.current()?.versionId === version.id;
      });
    });

    it('keeps the old session for in-flight calls', async () => {
      const first = await register(16);
      const second = await register(17);
      await activeModel.activate(first.id);
      const history = [{ items: Int32Array.of(1, 2, 3) }];

      const oldModel = await activeModel.use(async (model) => {
        await registry.activate(second.id);
        await activeModel.refresh();
        expect(activeModel.current()?.versionId).toBe(second.id);
        // The swapped-out session still runs until this call settles.
        const result = await model!.recommender.recommend(history);
        expect(result.items).toHaveLength(3);
        return model!;
      });
      await waitFor('the old session release', async () => {
        return oldModel.recommender.recommend(history).then(
          () => false,
          () => true,
        );
      });

      expect(oldModel.versionId).toBe(first.id);
    });
  });

  describe('admin routes', () => {
    let versions: ModelVersionSummary[];

    beforeAll(async () => {
      versions = [await register(20), await register(21)];
    });

    it('rejects requests without the admin key', async () => {
      const missing = await request(server).get('/admin/models');
      const userKey = await request(server).get('/admin/models').set('x-api-key', API_KEY);

      expect(missing.status).toBe(401);
      expect(userKey.status).toBe(401);
      expect(userKey.body.code).toBe('UNAUTHORIZED');
    });

    it('lists versions newest first', async () => {
      const response = await request(server)
        .get('/admin/models?limit=2')
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(200);
      expect(response.body.data.map((version: { id: string }) => version.id)).toEqual([
        versions[1].id,
        versions[0].id,
      ]);
      expect(response.body.data[0]).toMatchObject({
        status: 'registered',
        itemCount: ITEM_IDS.length,
        dataCutoff: '2026-01-02T03:04:05.000Z',
        metrics: { validation: { ndcg10: 0.21 } },
      });
    });

    it('rejects an invalid status filter', async () => {
      const response = await request(server)
        .get('/admin/models?status=gone')
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(400);
      expect(response.body.details[0]).toMatchObject({ field: 'status', value: 'gone' });
    });

    it('activates a version', async () => {
      const response = await request(server)
        .post(`/admin/models/${versions[0].id}/activate`)
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: versions[0].id, status: 'active' });
      expect(activeModel.current()?.versionId).toBe(versions[0].id);
    });

    it('answers 404 for an unknown version', async () => {
      const response = await request(server)
        .post(`/admin/models/${UNKNOWN_ID}/activate`)
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
      expect(response.body.details[0]).toMatchObject({ field: 'id', value: UNKNOWN_ID });
    });

    it('answers 400 for a malformed id', async () => {
      const response = await request(server)
        .post('/admin/models/abc/activate')
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0]).toMatchObject({ field: 'id', value: 'abc' });
    });

    it('does not activate a version that fails to load', async () => {
      const corrupted = await register(32);
      await dataSource.query(
        `UPDATE model_versions SET onnx = overlay(onnx placing '\\x00'::bytea from 20) WHERE id = $1`,
        [corrupted.id],
      );

      const response = await request(server)
        .post(`/admin/models/${corrupted.id}/activate`)
        .set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(500);
      expect(response.body.code).toBe('INTERNAL_ERROR');
      expect((await registry.get(corrupted.id)).status).toBe('registered');
    });

    it('rejects activation without the admin key', async () => {
      const response = await request(server)
        .post(`/admin/models/${versions[1].id}/activate`)
        .set('x-api-key', API_KEY);

      expect(response.status).toBe(401);
      expect((await registry.get(versions[1].id)).status).toBe('registered');
    });
  });
});
