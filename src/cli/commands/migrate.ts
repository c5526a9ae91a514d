import { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../config/app-config';
import { withDatabase, withDataSource } from '../cli-database';

interface MigrateOptions {
  revert?: boolean;
  show?: boolean;
}

/** `qrec migrate`: applies pending migrations, reverts the last one, or lists them. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending migrations to the service database (DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_PG_DATA_DIR)',
    )
    .option('--revert', 'undo the last applied migration')
    .option('--show', 'list applied and pending migrations without changing anything')
    .action(async (options: MigrateOptions) => {
      if (options.revert === true && options.show === true) {
        throw new Error('--revert and --show cannot be used together');
      }
      const config = loadConfig();
      await withDatabase(config, (url) =>
        withDataSource(url, (dataSource) => {
          if (options.show === true) {
            return showMigrations(dataSource);
          }
          if (options.revert === true) {
            return revertLastMigration(dataSource);
          }
          return applyMigrations(dataSource);
        }),
      );
    });
}

async function applyMigrations(dataSource: DataSource): Promise<void> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length === 0) {
    console.log('No pending migrations.');
  }
  for (const migration of applied) {
    console.log(`Applied ${migration.name}`);
  }
}

async function revertLastMigration(dataSource: DataSource): Promise<void> {
  const applied = await readAppliedMigrations(dataSource);
  const last = applied.at(-1);
  if (last === undefined) {
    console.log('No applied migrations to revert.');
    return;
  }
  await dataSource.undoLastMigration({ transaction: 'each' });
  console.log(`Reverted ${last}`);
}

async function showMigrations(dataSource: DataSource): Promise<void> {
  const applied = new Set(await readAppliedMigrations(dataSource));
  for (const migration of dataSource.migrations) {
    const name = migration.name ?? migration.constructor.name;
    console.log(`${applied.has(name) ? '[applied]' : '[pending]'} ${name}`);
  }
}

/** Names of the applied migrations in the order they ran; none before the first run. */
async function readAppliedMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query<{ found: string | null }[]>(
    'SELECT to_regclass($1)::text AS found',
    [table],
  );
  if (exists[0]?.found === null || exists[0]?.found === undefined) {
    return [];
  }
  const rows = await dataSource.query<{ name: string }[]>(
    `SELECT name FROM "${table}" ORDER BY "timestamp", id`,
  );
  return rows.map((row) => row.name);
}
