import { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import {
  FIND_ITEM_IDS_SQL,
  INSERT_EVENTS_WITH_USERS,
} from '../src/interactions/interactions.repository';
import { createTestDatabase } from './setup/test-database';

const USERS = 30_000;
const ITEMS = 10_000;
const BATCH = 100;

/** Ingestion must probe the external-id indexes even before the tables have statistics. */
describe('ingestion query plans on tables without statistics', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, poolSize: 1, runMigrations: false });
    await dataSource.query(
      `INSERT INTO users (external_id) SELECT 'user-' || g FROM generate_series(1, $1::int) g`,
      [USERS],
    );
    await dataSource.query(
      `INSERT INTO items (external_id, title)
       SELECT 'item-' || g, 'Item ' || g FROM generate_series(1, $1::int) g`,
      [ITEMS],
    );
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  async function plan(sql: string, parameters: unknown[]): Promise<string> {
    const rows: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN ${sql}`, parameters);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  const ids = (prefix: string, count: number): string[] =>
    Array.from({ length: BATCH }, (_, i) => `${prefix}-${1 + ((i * 7919) % count)}`);

  it('tables start without statistics', async () => {
    const rows: { analyzed: number }[] = await dataSource.query(
      `SELECT count(*)::int AS analyzed FROM pg_stat_user_tables
        WHERE relname IN ('users', 'items')
          AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`,
    );
    expect(rows[0].analyzed).toBe(0);
  });

  it('item lookup probes the index', async () => {
    const text = await plan(FIND_ITEM_IDS_SQL, [ids('item', ITEMS)]);

    expect(text).toContain('Index Scan using uq_items_external_id on items');
    expect(text).not.toMatch(/Seq Scan on items/);
  });

  it('event insert probes the user index', async () => {
    const users = [...new Set(ids('user', USERS))].sort();
    const events = Array.from({ length: BATCH }, (_, i) => i);
    const text = await plan(INSERT_EVENTS_WITH_USERS, [
      users,
      events.map((i) => users[i % users.length]),
      events.map((i) => String(1 + i)),
      events.map(() => 'view'),
      events.map(() => null),
      events.map(() => new Date().toISOString()),
      events.map((i) => `plan-${i}`),
      events.map(() => null),
    ]);

    expect(text).toContain('Index Scan using uq_users_external_id on users');
    expect(text).not.toMatch(/Seq Scan on users/);
  });
});
