import { rm } from 'node:fs/promises';

/**
 * Stops the PostgreSQL that global setup started and removes its temporary data folder
 * (nothing to do for TEST_DATABASE_URL).
 */
export default async function globalTeardown(): Promise<void> {
  await globalThis.qrecTestServer?.close();
  const folder = globalThis.qrecTestServerFolder;
  if (folder !== undefined) {
    await rm(folder, { recursive: true, force: true });
  }
}
