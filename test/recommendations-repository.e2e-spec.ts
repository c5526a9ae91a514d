import { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import { PopularRanking } from '../src/recommendations/popular-ranking';
import {
  HISTORY_KEYS_SQL,
  HISTORY_SQL,
  RecommendationsRepository,
  STORE_FILTERED_PAGE_SQL,
} from '../src/recommendations/recommendations.repository';
import { createTestDatabase } from './setup/test-database';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('RecommendationsRepository', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let repository: RecommendationsRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, poolSize: 2, runMigrations: false });
    repository = new RecommendationsRepository(dataSource);
    await dataSource.query(
      `INSERT INTO items (external_id, title, categories, hidden) VALUES
         ('old-hit', 'Old hit', '{A}', false), ('new-hit', 'New hit', '{B}', false),
         ('secret', 'Secret', '{A}', true), ('quiet', 'Quiet', '{A,B}', false)`,
    );
    await dataSource.query(`INSERT INTO users (external_id) VALUES ('u1'), ('u2'), ('idle')`);
    const events: [string, string, string, number][] = [
      ['u1', 'old-hit', 'view', 90],
      ['u2', 'old-hit', 'view', 80],
      ['u2', 'old-hit', 'click', 70],
      ['u1', 'new-hit', 'view', 3],
      ['u2', 'new-hit', 'purchase', 2],
      ['u1', 'secret', 'view', 1],
      ['u1', 'quiet', 'click', 0.5],
    ];
    for (const [user, item, type, daysAgo] of events) {
      await dataSource.query(
        `INSERT INTO interactions (user_id, item_id, event_type, occurred_at)
         SELECT u.id, i.id, $3, $4 FROM users u, items i
          WHERE u.external_id = $1 AND i.external_id = $2`,
        [user, item, type, new Date(Date.now() - daysAgo * DAY_MS)],
      );
    }
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('reads the latest interactions first', async () => {
    const history = await repository.findHistory('u1', 3);

    expect(history.userKey).not.toBeNull();
    expect(history.interactions.map((row) => row.itemId)).toEqual(['quiet', 'secret', 'new-hit']);
    expect(history.interactions[0]).toEqual({
      itemId: 'quiet',
      title: 'Quiet',
      eventType: 'click',
    });
  });

  it('reads the same history without titles through the item key cache', async () => {
    const titled = await repository.findHistory('u1', 5);
    const first = await repository.findHistory('u1', 5, { titles: false });
    const cached = await repository.findHistory('u1', 5, { titles: false });
    const unknown = await repository.findHistory('nobody', 5, { titles: false });

    const withoutTitles = titled.interactions.map(({ itemId, eventType }) => ({
      itemId,
      eventType,
    }));
    expect(first).toEqual({ userKey: titled.userKey, interactions: withoutTitles });
    expect(cached).toEqual(first);
    expect(unknown).toEqual({ userKey: null, interactions: [] });
  });

  it('reads history without titles from the user index alone', async () => {
    await dataSource.query('SET enable_seqscan = off');
    const plan: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN ${HISTORY_KEYS_SQL}`, [
      'u1',
      5,
    ]);
    await dataSource.query('SET enable_seqscan = on');
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');

    expect(text).toContain('ix_interactions_user_occurred_at');
    expect(text).not.toContain('items');
  });

  it('tells unknown users from idle ones', async () => {
    const unknown = await repository.findHistory('nobody', 5);
    const idle = await repository.findHistory('idle', 5);

    expect(unknown).toEqual({ userKey: null, interactions: [] });
    expect(idle.userKey).not.toBeNull();
    expect(idle.interactions).toEqual([]);
  });

  it('reads history through the user index', async () => {
    await dataSource.query('SET enable_seqscan = off');
    const plan: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN ${HISTORY_SQL}`, [
      'u1',
      5,
    ]);
    await dataSource.query('SET enable_seqscan = on');

    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain(
      'ix_interactions_user_occurred_at',
    );
  });

  it('marks seen items by event type', async () => {
    const u1 = await repository.findHistory('u1', 1);
    const all = await repository.findCandidates(['old-hit', 'quiet', 'gone'], u1.userKey, null);
    const clicksOnly = await repository.findCandidates(['old-hit', 'quiet'], u1.userKey, ['click']);

    expect(all.map((item) => [item.itemId, item.seen]).sort()).toEqual([
      ['old-hit', true],
      ['quiet', true],
    ]);
    expect(clicksOnly.map((item) => [item.itemId, item.seen]).sort()).toEqual([
      ['old-hit', false],
      ['quiet', true],
    ]);
  });

  it('filters, pages and stores a ranked list in one statement', async () => {
    const u2 = await repository.findHistory('u2', 1);
    const ranked = {
      // u2 has seen old-hit and new-hit; secret is hidden; gone does not exist.
      candidates: ['old-hit', 'secret', 'gone', 'quiet', 'new-hit'].map((itemId, i) => ({
        itemId,
        score: 5 - i,
      })),
      userKey: u2.userKey!,
      seenTypes: null,
      exclude: [],
      categories: [],
      skip: 0,
      list: {
        userId: 'u2',
        modelVersionId: null,
        source: 'model' as const,
        request: { n: 1, offset: 3, categories: [], exclude: [], explain: false, pageKey: 'k' },
      },
    };
    const countLists = async (): Promise<number> => {
      const rows: { count: number }[] = await dataSource.query(
        `SELECT count(*)::int AS count FROM recommendations WHERE user_external_id = 'u2'`,
      );
      return rows[0].count;
    };
    const before = await countLists();

    const stored = await repository.storeFilteredPage(ranked, 1, 3);
    const tooFew = await repository.storeFilteredPage(ranked, 2, 3);
    const viewsOnly = await repository.storeFilteredPage(
      { ...ranked, seenTypes: ['purchase'], exclude: ['quiet'] },
      1,
      3,
    );

    expect(stored?.items).toEqual([
      { itemId: 'quiet', score: 2, title: 'Quiet', categories: ['A', 'B'], rank: 4 },
    ]);
    expect(await repository.findList(stored!.id)).toMatchObject({ items: stored!.items });
    expect(tooFew).toBeNull();
    // Only the purchase counts as seen: old-hit, first in the ranking, passes.
    expect(viewsOnly?.items.map((item) => item.itemId)).toEqual(['old-hit']);
    expect(await countLists()).toBe(before + 2);
  });

  it('store plan probes and hashes', async () => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      await runner.query(
        `PREPARE store_page (text[], float8[], bigint, text[], text[], text[], int, int, int,
                             text, uuid, text, jsonb) AS ${STORE_FILTERED_PAGE_SQL}`,
      );
      const rows: { 'QUERY PLAN': string }[] = await runner.query(
        `EXPLAIN EXECUTE store_page('{quiet,old-hit}', '{2,1}', 1, NULL, '{}', '{}', 0, 1, 0,
                                    'u1', NULL, 'model', '{}')`,
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');

      expect(plan).toContain('Index Scan using uq_items_external_id on items');
      expect(plan).toContain('hashed SubPlan');
      expect(plan).not.toMatch(/Seq Scan on items/);
    } finally {
      await runner.query(`DEALLOCATE store_page`);
      await runner.query(`RESET plan_cache_mode`);
      await runner.release();
    }
  });

  it('ranks popular items in the window', async () => {
    const recent = new PopularRanking(repository, 30, 0);
    const ranking = await recent.get([]);
    const inCategoryA = await recent.get(['A']);

    expect(ranking.map((item) => item.itemId)).toEqual(['new-hit', 'quiet']);
    expect(inCategoryA.map((item) => item.itemId)).toEqual(['quiet']);
  });

  it('falls back to all time when the window is empty', async () => {
    const ranking = await new PopularRanking(repository, 30, 0).get(['C']);
    await dataSource.query(`UPDATE items SET categories = '{C}' WHERE external_id = 'old-hit'`);
    const afterChange = await new PopularRanking(repository, 1, 0).get(['C']);

    expect(ranking).toEqual([]);
    expect(afterChange).toEqual([{ itemId: 'old-hit', events: 3 }]);
  });

  it('deletes lists past the retention', async () => {
    const old = await repository.insertList({
      userId: 'u1',
      modelVersionId: null,
      source: 'popular',
      request: { n: 1, offset: 0, categories: [], exclude: [], explain: false, pageKey: 'k' },
      items: [],
    });
    await repository.insertList({
      userId: 'u1',
      modelVersionId: null,
      source: 'popular',
      request: { n: 1, offset: 0, categories: [], exclude: [], explain: false, pageKey: 'k' },
      items: [],
    });
    await dataSource.query(
      `UPDATE recommendations SET created_at = now() - interval '8 days' WHERE id = $1`,
      [old.id],
    );

    expect(await repository.deleteOlderThan(7)).toBe(1);
    expect(await repository.findList(old.id)).toBeNull();
  });
});
