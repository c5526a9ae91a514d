import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { openDataSource } from '../database/data-source';
import { openDatabaseConnection } from '../database/database-connection';

/** Writes a diagnostic line to stderr, so that stdout carries only command output. */
export function logToStderr(message: string): void {
  console.error(`qrec: ${message}`);
}

/**
 * Runs `work` against the service's database: `DATABASE_URL`, or the embedded PostgreSQL in
 * `EMBEDDED_PG_DATA_DIR` (the server that a running service started there, or one started
 * for this command and stopped afterwards).
 */
export async function withDatabase<T>(
  config: AppConfig,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const connection = await openDatabaseConnection(config.database, logToStderr);
  try {
    return await work(connection.url);
  } finally {
    if (connection.ownsServer) {
      logToStderr('stopping embedded PostgreSQL');
    }
    await connection.close();
  }
}

/** Runs `work` with a TypeORM DataSource that does not migrate on its own. */
export async function withDataSource<T>(
  url: string,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = await openDataSource({ url, poolSize: 1, runMigrations: false });
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Brings the schema up to date before a command uses it. With RUN_MIGRATIONS=false the
 * command fails instead when migrations are pending.
 */
export async function ensureSchema(url: string, config: AppConfig): Promise<void> {
  await withDataSource(url, async (dataSource) => {
    if (!config.database.runMigrations) {
      if (await dataSource.showMigrations()) {
        throw new Error('The database has pending migrations; run `qrec migrate` first');
      }
      return;
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) {
      logToStderr(`applied migration ${migration.name}`);
    }
  });
}
