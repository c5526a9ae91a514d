import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openDataSource } from '../../src/database/data-source';
import { EmbeddedDatabase } from '../../src/database/embedded-postgres';
import {
  runAdminQuery,
  TEMPLATE_DATABASE,
  TEST_SERVER_URL_VARIABLE,
  withDatabase,
} from './test-database';

declare global {
  var qrecTestServer: EmbeddedDatabase | undefined;
  /** Temporary folder of that server's data directory, removed by global teardown. */
  var qrecTestServerFolder: string | undefined;
}

/**
 * Starts one PostgreSQL for the whole e2e run (or uses TEST_DATABASE_URL), and migrates a
 * template database with the real migrations. Test files clone the template.
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = await resolveServerUrl();
  process.env[TEST_SERVER_URL_VARIABLE] = serverUrl;

  await runAdminQuery(serverUrl, `DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await runAdminQuery(serverUrl, `CREATE DATABASE ${TEMPLATE_DATABASE}`);

  const dataSource = await openDataSource({
    url: withDatabase(serverUrl, TEMPLATE_DATABASE),
    poolSize: 1,
    runMigrations: true,
  });
  await dataSource.destroy();
}

async function resolveServerUrl(): Promise<string> {
  const external = process.env.TEST_DATABASE_URL;
  if (external !== undefined && external !== '') {
    return external;
  }

  const parent = mkdtempSync(path.join(tmpdir(), 'qrec-test-'));
  globalThis.qrecTestServerFolder = parent;
  // As root the server runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(parent, 0o755);
  const dataDir = path.join(parent, 'postgres');
  const server = new EmbeddedDatabase(dataDir);
  globalThis.qrecTestServer = server;
  const info = await server.open();
  return info.url;
}
