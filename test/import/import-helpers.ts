import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_EVENT_TYPES } from '../../src/config/config.schema';
import { ImportSummary, runImport } from '../../src/import/importer';
import { openImportSource, SourceOptions } from '../../src/import/open-source';

const fixtureFolders: string[] = [];

/** Creates a temporary folder for fixture files, which `removeFixtureFolders` deletes. */
export function createFixtureFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'qrec-import-'));
  fixtureFolders.push(folder);
  return folder;
}

/** Deletes every folder that `createFixtureFolder` created in this test file. */
export async function removeFixtureFolders(): Promise<void> {
  for (const folder of fixtureFolders.splice(0)) {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

/** Writes a fixture file; `latin1` stores the text as ISO-8859-1 like MovieLens does. */
export async function writeFixture(
  folder: string,
  name: string,
  text: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): Promise<string> {
  const file = path.join(folder, name);
  await fs.writeFile(file, Buffer.from(text, encoding));
  return file;
}

export type ImportOptions = Omit<SourceOptions, 'allowedEventTypes'> & {
  allowedEventTypes?: readonly string[];
  batchSize?: number;
  strict?: boolean;
};

/** Imports a file the way `qrec import` does, with the default EVENT_TYPES. */
export async function importInto(
  databaseUrl: string,
  inputPath: string,
  options: ImportOptions,
): Promise<ImportSummary> {
  const source = await openImportSource(inputPath, {
    allowedEventTypes: [...DEFAULT_EVENT_TYPES],
    ...options,
  });
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await runImport(client, source, {
      batchSize: options.batchSize ?? 50_000,
      strict: options.strict ?? false,
    });
  } finally {
    await client.end();
  }
}

/** Runs one query on its own connection and returns the rows. */
export async function queryRows<T extends object>(
  databaseUrl: string,
  sql: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, parameters)).rows;
  } finally {
    await client.end();
  }
}

/** Counts the rows of users, items and interactions. */
export async function countRows(
  databaseUrl: string,
): Promise<{ users: number; items: number; interactions: number }> {
  const [row] = await queryRows<{ users: string; items: string; interactions: string }>(
    databaseUrl,
    `SELECT (SELECT count(*) FROM users) AS users,
            (SELECT count(*) FROM items) AS items,
            (SELECT count(*) FROM interactions) AS interactions`,
  );
  return {
    users: Number(row.users),
    items: Number(row.items),
    interactions: Number(row.interactions),
  };
}
