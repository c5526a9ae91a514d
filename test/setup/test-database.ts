import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Environment variable through which global setup hands the server URL to test files. */
export const TEST_SERVER_URL_VARIABLE = 'QREC_TEST_SERVER_URL';
/** Database with the migrated schema, which each test file clones. */
export const TEMPLATE_DATABASE = 'qrec_test_template';

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function testServerUrl(): string {
  const url = process.env[TEST_SERVER_URL_VARIABLE];
  if (url === undefined) {
    throw new Error(
      `${TEST_SERVER_URL_VARIABLE} is not set: run e2e tests through jest's e2e project`,
    );
  }
  return url;
}

/**
 * Creates an empty, migrated database for one test file by cloning the template, so files
 * never see each other's rows. Returns its URL and a function that drops it.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = testServerUrl();
  const name = `qrec_test_${randomBytes(6).toString('hex')}`;
  await runAdminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);

  return {
    url: withDatabase(serverUrl, name),
    drop: () => runAdminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export async function runAdminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
