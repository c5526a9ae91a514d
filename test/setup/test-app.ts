import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  databaseUrl: string;
  close: () => Promise<void>;
}

/**
 * Boots the real application (real pipes, filters, guards, migrations already applied) on a
 * fresh database. `env` overrides configuration variables, e.g. `{ API_KEY: '…' }`.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env, DATABASE_URL: database.url });
  const connection = {
    url: database.url,
    mode: 'external' as const,
    ownsServer: false,
    close: () => Promise.resolve(),
  };

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({ config, database: connection }),
    { bodyParser: false, logger: false },
  );
  configureApp(app, config);
  // Listen on loopback only; supertest then sends requests to this address.
  await app.listen(0, '127.0.0.1');

  return {
    app,
    config,
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
