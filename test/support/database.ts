import { DataSource } from 'typeorm';
import type { TestApp } from '../setup/test-app';

/** Counts the rows of a table in the test app's database. */
export async function countRows(
  testApp: TestApp,
  table: 'users' | 'items' | 'interactions',
): Promise<number> {
  const rows: { count: number }[] = await testApp.app
    .get(DataSource)
    .query(`SELECT count(*)::int AS count FROM ${table}`);
  return rows[0].count;
}

/** Empties every table between tests that need a clean database. */
export async function truncateAll(testApp: TestApp): Promise<void> {
  await testApp.app.get(DataSource).query('TRUNCATE interactions, items, users');
}
