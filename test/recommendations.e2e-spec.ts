/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { resolveConfig } from '../src/model/qformer/config';
import type { SavedModelContents } from '../src/model/qformer/model-store';
import { trainingDataFromSource, trainQFormer } from '../src/model/qformer/trainer';
import { ActiveModelService } from '../src/models/active-model.service';
import { registerEnsemble } from '../src/models/ensemble-versions';
import { ModelRegistry } from '../src/models/model-registry';
import { ListRetention } from '../src/recommendations/list-retention';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { createTestApp, TestApp } from './setup/test-app';

/**
 * Three clusters of 20 items (categories A, B, C). Each user reads 10 consecutive items of
 * one cluster, so the next item of a history is its successor in that cluster.
 */
const CLUSTERS = ['A', 'B', 'C'];
const ITEMS_PER_CLUSTER = 20;
const USERS_PER_CLUSTER = 40;
const HISTORY_LENGTH = 10;
const TOP_K = 20;
const DAY_MS = 24 * 60 * 60 * 1000;
const ROOT = path.resolve(__dirname, '..');
const execFileAsync = promisify(execFile);

interface ServedItem {
  itemId: string;
  rank: number;
  score: number;
  title: string;
  categories: string[];
  explanation?: { interest: number | null; because: { itemId: string; weight: number }[] };
}

interface ServedList {
  id: string;
  userId: string;
  source: 'model' | 'popular';
  modelVersion: string | null;
  reason?: string;
  items: ServedItem[];
}

function itemId(cluster: number, position: number): string {
  return `${CLUSTERS[cluster]}${(position % ITEMS_PER_CLUSTER) + 1}`;
}

function userId(cluster: number, index: number): string {
  return `${CLUSTERS[cluster].toLowerCase()}-user-${index}`;
}

function historyOf(cluster: number, index: number): string[] {
  return Array.from({ length: HISTORY_LENGTH }, (_value, k) => itemId(cluster, index + k));
}

function allUsers(): { userId: string; itemIds: string[] }[] {
  return CLUSTERS.flatMap((_name, cluster) =>
    Array.from({ length: USERS_PER_CLUSTER }, (_value, index) => ({
      userId: userId(cluster, index),
      itemIds: historyOf(cluster, index),
    })),
  );
}

async function trainTinyModel(): Promise<SavedModelContents> {
  const users = allUsers();
  const data = await trainingDataFromSource({
    async *sequences() {
      for (const user of users) {
        yield await Promise.resolve(user);
      }
    },
  });
  const config = resolveConfig({
    dim: 16,
    maxLength: 8,
    encoderBlocks: 1,
    queryCount: 2,
    heads: 2,
    feedForwardDim: 16,
    dropout: 0,
  });
  const result = await trainQFormer(config, data, {
    epochs: 12,
    batchSize: 16,
    learningRate: 1e-2,
    warmupSteps: 5,
    patience: 12,
    seed: 3,
  });
  return {
    config,
    vocabulary: data.vocabulary,
    parameters: result.parameters,
    topK: TOP_K,
    metrics: { bestEpoch: result.bestEpoch },
  };
}

describe('recommendations', () => {
  let testApp: TestApp;
  let server: App;
  let registry: ModelRegistry;
  let firstVersion: string;
  let contents: SavedModelContents;

  beforeAll(async () => {
    testApp = await createTestApp({
      RECOMMEND_BATCH_WAIT_MS: '5',
      ADMIN_API_KEY: 'admin-key-0123456789',
      // No popularity cache: with one, a request after the cache expired returns the old
      // ranking while a refresh loads, so two back-to-back requests could differ.
      RECOMMEND_POPULAR_CACHE_SECONDS: '0',
    });
    server = testApp.app.getHttpServer();
    registry = new ModelRegistry(testApp.app.get(DataSource));
    await seedCatalogue();
    contents = await trainTinyModel();
  }, 120_000);

  afterAll(async () => {
    await testApp.close();
  });

  async function seedCatalogue(): Promise<void> {
    const items = CLUSTERS.flatMap((name, cluster) =>
      Array.from({ length: ITEMS_PER_CLUSTER }, (_value, position) => ({
        id: itemId(cluster, position),
        title: `Item ${itemId(cluster, position)}`,
        categories: [name],
      })),
    );
    await request(server).post('/items/bulk').send({ items }).expect(200);

    // Events in the past, older first, so that newer test events are the newest.
    const start = Date.now() - 10 * DAY_MS;
    const events = allUsers().flatMap((user, u) =>
      user.itemIds.map((item, k) => ({
        userId: user.userId,
        itemId: item,
        type: 'view',
        occurredAt: new Date(start + u * 1000 + k * 10).toISOString(),
      })),
    );
    for (let i = 0; i < events.length; i += 1000) {
      await request(server)
        .post('/interactions')
        .send(events.slice(i, i + 1000))
        .expect(201);
    }
  }

  async function activate(status: 'registered' = 'registered'): Promise<string> {
    const version = await registry.register({
      contents,
      eventTypes: [],
      dataCutoff: new Date(),
      status,
    });
    await registry.activate(version.id);
    await testApp.app.get(ActiveModelService).refresh();
    return version.id;
  }

  async function recommend(query: string, expected = 200): Promise<ServedList> {
    const response = await request(server).get(`/recommendations?${query}`);
    expect(response.status).toBe(expected);
    return response.body as ServedList;
  }

  function ids(list: ServedList): string[] {
    return list.items.map((item) => item.itemId);
  }

  describe('without an active model', () => {
    it('serves the popular list to everyone', async () => {
      const list = await recommend(`userId=${userId(0, 3)}&n=5`);

      expect(list.source).toBe('popular');
      expect(list.reason).toBe('no_active_model');
      expect(list.modelVersion).toBeNull();
      expect(list.items).toHaveLength(5);
      for (const seen of historyOf(0, 3)) {
        expect(ids(list)).not.toContain(seen);
      }
    });
  });

  describe('with an active model', () => {
    beforeAll(async () => {
      firstVersion = await activate();
    });

    it('personalises by history', async () => {
      const a = await recommend(`userId=${userId(0, 2)}&n=5`);
      const c = await recommend(`userId=${userId(2, 2)}&n=5`);

      expect(a.source).toBe('model');
      expect(a.modelVersion).toBe(firstVersion);
      expect(ids(a)).not.toEqual(ids(c));
      // Each history is a run of consecutive items, so the model learns the successor.
      expect(a.items[0].itemId).toBe(itemId(0, 2 + HISTORY_LENGTH));
      expect(c.items[0].itemId).toBe(itemId(2, 2 + HISTORY_LENGTH));
      expect(a.items.map((item) => item.rank)).toEqual([1, 2, 3, 4, 5]);
    });

    it('never returns seen items', async () => {
      const user = userId(1, 5);
      const list = await recommend(`userId=${user}&n=50`);

      expect(list.items.length).toBeGreaterThan(20);
      for (const seen of historyOf(1, 5)) {
        expect(ids(list)).not.toContain(seen);
      }
    });

    it('changes after a new event', async () => {
      const user = userId(0, 7);
      const before = await recommend(`userId=${user}&n=5`);
      const clicked = before.items[0].itemId;
      await request(server)
        .post('/interactions')
        .send({ userId: user, itemId: clicked, type: 'click' })
        .expect(201);
      const afterClick = await recommend(`userId=${user}&n=5`);
      // A view in another cluster changes the model's input, so the scores change too.
      await request(server)
        .post('/interactions')
        .send({ userId: user, itemId: itemId(1, 4), type: 'view' })
        .expect(201);
      const afterView = await recommend(`userId=${user}&n=5`);

      expect(ids(afterClick)).not.toContain(clicked);
      expect(ids(afterClick)).not.toEqual(ids(before));
      expect(ids(afterView)).not.toContain(itemId(1, 4));
      expect(afterView.items.map((item) => item.score)).not.toEqual(
        afterClick.items.map((item) => item.score),
      );
    });

    it('drops hidden, deleted and excluded items', async () => {
      const user = userId(2, 9);
      const before = await recommend(`userId=${user}&n=6`);
      const [hidden, deleted, excluded, alsoExcluded] = ids(before);
      await request(server).patch(`/items/${hidden}`).send({ hidden: true }).expect(200);
      await request(server).delete(`/items/${deleted}`).expect(204);

      const after = await recommend(
        `userId=${user}&n=60&exclude=${excluded}&exclude=${alsoExcluded}`,
      );

      expect(after.items.length).toBeGreaterThan(0);
      expect(ids(after)).not.toContain(hidden);
      expect(ids(after)).not.toContain(deleted);
      expect(ids(after)).not.toContain(excluded);
      expect(ids(after)).not.toContain(alsoExcluded);
      await request(server).patch(`/items/${hidden}`).send({ hidden: false }).expect(200);
    });

    it('accepts a comma-separated exclude list', async () => {
      const user = userId(0, 11);
      const before = await recommend(`userId=${user}&n=3`);
      const after = await recommend(`userId=${user}&n=3&exclude=${ids(before).join(',')}`);

      expect(ids(after).filter((id) => ids(before).includes(id))).toEqual([]);
    });

    it('filters by category', async () => {
      const list = await recommend(`userId=${userId(0, 4)}&n=8&category=B&category=C`);

      expect(list.source).toBe('model');
      expect(list.items).toHaveLength(8);
      for (const item of list.items) {
        expect(['B', 'C']).toContain(item.categories[0]);
      }
    });

    it('fills a page beyond the top-K from all scores', async () => {
      const list = await recommend(`userId=${userId(1, 1)}&n=40`);

      expect(list.items).toHaveLength(40);
      expect(new Set(ids(list)).size).toBe(40);
    });

    it('continues pages without repeats', async () => {
      const user = userId(1, 12);
      const first = await recommend(`userId=${user}&n=5`);
      const second = await recommend(`userId=${user}&n=5&offset=5`);
      const third = await recommend(`userId=${user}&n=5&offset=10`);
      const secondAgain = await recommend(`userId=${user}&n=5&offset=5`);

      const all = [...ids(first), ...ids(second), ...ids(third)];
      expect(new Set(all).size).toBe(15);
      expect(second.items.map((item) => item.rank)).toEqual([6, 7, 8, 9, 10]);
      expect(ids(secondAgain)).toEqual(ids(second));
    });

    it('explains with items from the history', async () => {
      const user = userId(2, 6);
      const list = await recommend(`userId=${user}&n=5&explain=true`);
      const window = historyOf(2, 6).slice(-contents.config.maxLength);

      for (const item of list.items) {
        const explanation = item.explanation!;
        expect([0, 1]).toContain(explanation.interest);
        expect(explanation.because.length).toBeGreaterThan(0);
        expect(explanation.because.length).toBeLessThanOrEqual(3);
        for (const cause of explanation.because) {
          expect(window).toContain(cause.itemId);
        }
        const weights = explanation.because.map((cause) => cause.weight);
        expect(weights).toEqual([...weights].sort((x, y) => y - x));
      }
      const plain = await recommend(`userId=${user}&n=5`);
      expect(plain.items[0].explanation).toBeUndefined();
    });

    it('serves an ensemble of two copies alike', async () => {
      const user = userId(2, 6);
      const single = await recommend(`userId=${user}&n=5&explain=true`);
      const previous = await registry.findActiveId();
      const copy = await registry.register({
        contents,
        eventTypes: [],
        dataCutoff: new Date(),
        status: 'registered',
      });
      const ensemble = await registerEnsemble(registry, [firstVersion, copy.id]);
      await registry.activate(ensemble.id);
      await testApp.app.get(ActiveModelService).refresh();

      try {
        const list = await recommend(`userId=${user}&n=5&explain=true`);
        const window = historyOf(2, 6).slice(-contents.config.maxLength);

        expect(list.modelVersion).toBe(ensemble.id);
        expect(ids(list)).toEqual(ids(single));
        list.items.forEach((item, rank) => {
          expect(item.score).toBeCloseTo(2 * single.items[rank].score, 4);
        });
        for (const item of list.items) {
          const explanation = item.explanation!;
          expect([0, 1, 2, 3]).toContain(explanation.interest);
          expect(explanation.because.length).toBeGreaterThan(0);
          for (const cause of explanation.because) {
            expect(window).toContain(cause.itemId);
          }
        }
      } finally {
        await registry.activate(previous!);
        await testApp.app.get(ActiveModelService).refresh();
      }
    });

    it('skips items the model does not know', async () => {
      const user = userId(0, 15);
      await request(server)
        .put('/items/new-item')
        .send({ title: 'New', categories: ['A'] });
      await request(server)
        .post('/interactions')
        .send({ userId: user, itemId: 'new-item', type: 'view' })
        .expect(201);
      const list = await recommend(`userId=${user}&n=5&explain=true`);

      expect(list.source).toBe('model');
      expect(list.items).toHaveLength(5);
    });

    it('serves popular items to cold and unknown users', async () => {
      await request(server).put('/users/cold-user').send({}).expect(201);
      const cold = await recommend('userId=cold-user&n=5');
      const unknown = await recommend('userId=nobody-at-all&n=5');
      const inCategory = await recommend('userId=nobody-at-all&n=5&category=C');

      expect(cold.source).toBe('popular');
      expect(cold.reason).toBe('no_history');
      expect(unknown.source).toBe('popular');
      expect(unknown.reason).toBe('unknown_user');
      expect(ids(unknown)).toEqual(ids(cold));
      const scores = unknown.items.map((item) => item.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
      expect(inCategory.items.every((item) => item.categories.includes('C'))).toBe(true);
    });

    it('stores the served list and attributes a click', async () => {
      const user = userId(1, 20);
      const list = await recommend(`userId=${user}&n=4&explain=true`);
      const stored = await request(server).get(`/recommendations/${list.id}`).expect(200);

      expect(stored.body).toEqual(list);

      await request(server)
        .post('/interactions')
        .send({
          userId: user,
          itemId: list.items[1].itemId,
          type: 'click',
          recommendationId: list.id,
        })
        .expect(201);
      const report = await request(server)
        .get('/admin/recommendations/attribution')
        .set('x-api-key', 'admin-key-0123456789')
        .expect(200);
      const row = (
        report.body as {
          versions: { modelVersion: string | null; listsWithConversion: number; lists: number }[];
        }
      ).versions.find((version) => version.modelVersion === firstVersion)!;

      expect(row.lists).toBeGreaterThan(1);
      expect(row.listsWithConversion).toBe(1);
    });

    it('requires the admin key for attribution', async () => {
      const response = await request(server).get('/admin/recommendations/attribution');

      expect(response.status).toBe(401);
    });

    it('answers 404 for an unknown list', async () => {
      const response = await request(server).get(
        '/recommendations/00000000-0000-4000-8000-000000000000',
      );

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });

    it.each([
      ['n=0', 'n', '0'],
      ['n=101', 'n', '101'],
      ['n=ten', 'n', 'ten'],
      ['offset=-1', 'offset', '-1'],
      ['explain=maybe', 'explain', 'maybe'],
    ])('rejects %s', async (query, field, value) => {
      const response = await request(server).get(`/recommendations?userId=u&${query}`);

      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field, value })]);
    });

    it('rejects a missing userId', async () => {
      const response = await request(server).get('/recommendations?n=3');

      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('userId');
    });

    it('batches 50 concurrent requests across a model swap', async () => {
      const service = testApp.app.get(RecommendationsService);
      const runsBefore = service.batcher.stats.runs;
      const requestsBefore = service.batcher.stats.requests;
      const responses = Promise.all(
        Array.from({ length: 50 }, (_value, i) =>
          request(server).get(`/recommendations?userId=${userId(i % 3, i % 30)}&n=10`),
        ),
      );
      const secondVersion = await activate();
      const settled = await responses;

      for (const response of settled) {
        expect(response.status).toBe(200);
        expect([firstVersion, secondVersion]).toContain(response.body.modelVersion);
      }
      const runs = service.batcher.stats.runs - runsBefore;
      const batched = service.batcher.stats.requests - requestsBefore;
      expect(batched).toBe(50);
      expect(runs).toBeLessThan(50);
      const after = await recommend(`userId=${userId(0, 1)}&n=3`);
      expect(after.modelVersion).toBe(secondVersion);
    });

    it('exports lists for every user from the CLI', async () => {
      // The test runs the compiled CLI; tsc is incremental, so a rebuild is quick.
      await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
      const folder = await mkdtemp(path.join(tmpdir(), 'recommend-cli-'));
      const out = path.join(folder, 'lists.jsonl');
      const dataSource = testApp.app.get(DataSource);
      const [{ users }]: { users: number }[] = await dataSource.query(
        'SELECT count(*)::int AS users FROM users',
      );
      const [{ before }]: { before: number }[] = await dataSource.query(
        'SELECT count(*)::int AS before FROM recommendations',
      );

      const { stderr } = await execFileAsync(
        'node',
        [path.join(ROOT, 'dist/src/cli/main.js'), 'recommend', '--all', '--n', '3', '--out', out],
        { cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: testApp.databaseUrl } },
      );
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      const lists = lines.map((line) => JSON.parse(line) as ServedList);
      const [{ after }]: { after: number }[] = await dataSource.query(
        'SELECT count(*)::int AS after FROM recommendations',
      );
      await rm(folder, { recursive: true, force: true });

      expect(lists).toHaveLength(users);
      expect(new Set(lists.map((list) => list.userId)).size).toBe(users);
      expect(after - before).toBe(users);
      const modelList = lists.find((list) => list.userId === userId(1, 3))!;
      expect(modelList.source).toBe('model');
      expect(modelList.items).toHaveLength(3);
      expect(lists.find((list) => list.userId === 'cold-user')!.source).toBe('popular');
      expect(stderr).toContain(`wrote ${users} lists`);
    }, 180_000);

    it('deletes lists past the retention', async () => {
      const list = await recommend(`userId=${userId(0, 21)}&n=2`);
      await testApp.app
        .get(DataSource)
        .query(`UPDATE recommendations SET created_at = now() - interval '31 days' WHERE id = $1`, [
          list.id,
        ]);

      const deleted = await testApp.app.get(ListRetention).deleteExpired();

      expect(deleted).toBe(1);
      await request(server).get(`/recommendations/${list.id}`).expect(404);
    });
  });
});
