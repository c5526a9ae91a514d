import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigError, loadConfig } from './config/app-config';
import { openDatabaseConnection } from './database/database-connection';
import { leaveShutdownSignalsToCaller } from './database/embedded-postgres';
import { DatabaseLifecycle } from './database/database.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const bootLogger = pino({ level: config.log.level, name: 'qrec' });

  const database = await openDatabaseConnection(config.database, (message) =>
    bootLogger.info(message),
  );
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.register({ config, database }),
      { bufferLogs: true, bodyParser: false, abortOnError: false },
    );
    configureApp(app, config);
    // Nest's shutdown hooks handle these signals: they close HTTP, then stop the database.
    leaveShutdownSignalsToCaller();
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    // Stop an embedded server this process started, so a failed start leaves none behind.
    await database.close();
    throw error;
  }

  const address = await app.getUrl();
  bootLogger.info(
    {
      url: address,
      databaseMode: database.mode,
      embeddedServerOwned: database.mode === 'embedded' ? database.ownsServer : undefined,
      migrationsApplied: app.get(DatabaseLifecycle).appliedMigrations,
    },
    `qrec listening on ${address} (database: ${database.mode})`,
  );
  if (config.auth.apiKey === undefined) {
    bootLogger.warn('API_KEY is not set: the API is open to anyone who can reach this port');
  }
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `qrec failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exit(1);
});
