/** Stops the PostgreSQL that global setup started (nothing to do for TEST_DATABASE_URL). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.qrecTestServer?.close();
}
