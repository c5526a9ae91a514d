import type { AppConfig, DatabaseMode } from '../config/app-config';
import { EmbeddedDatabase } from './embedded-postgres';

/** Location of a qrec process's PostgreSQL, with the function that releases it. */
export interface DatabaseConnection {
  url: string;
  mode: DatabaseMode;
  /** For embedded mode: whether this process started the server (and stops it on close). */
  ownsServer: boolean;
  close(): Promise<void>;
}

/**
 * Resolves the database for the service or a CLI command: `DATABASE_URL` when set, else the
 * embedded PostgreSQL in `EMBEDDED_PG_DATA_DIR`, started here unless another qrec process
 * already runs it.
 */
export async function openDatabaseConnection(
  config: AppConfig['database'],
  log: (message: string) => void = () => undefined,
): Promise<DatabaseConnection> {
  if (config.url !== undefined) {
    return { url: config.url, mode: 'external', ownsServer: false, close: () => Promise.resolve() };
  }

  const embedded = new EmbeddedDatabase(config.embeddedDataDir, config.embeddedPort, log);
  const server = await embedded.open();
  return {
    url: server.url,
    mode: 'embedded',
    ownsServer: server.owned,
    close: () => embedded.close(),
  };
}
