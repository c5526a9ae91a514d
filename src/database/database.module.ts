import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source';
import type { DatabaseConnection } from './database-connection';

/** Injection token of the {@link DatabaseConnection} the process opened before Nest started. */
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** Injection token of the database settings from {@link AppConfig}. */
const DATABASE_SETTINGS = Symbol('DATABASE_SETTINGS');

/**
 * Applies pending migrations at start-up. With `RUN_MIGRATIONS=false`, pending migrations
 * stop the start instead. At shutdown, closes the connection pool before an embedded server
 * owned by this process stops, so no pooled connection loses its server mid-use.
 */
@Injectable()
export class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  /** Names of the migrations this process applied at start-up. */
  appliedMigrations: string[] = [];
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    @Inject(DATABASE_SETTINGS) private readonly settings: AppConfig['database'],
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.settings.runMigrations) {
      if (await this.dataSource.showMigrations()) {
        throw new Error(
          'The database has pending migrations and RUN_MIGRATIONS=false: run `qrec migrate` first',
        );
      }
      return;
    }

    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    this.appliedMigrations = applied.map((migration) => migration.name);
    this.logger.log(
      applied.length > 0
        ? `applied migrations: ${this.appliedMigrations.join(', ')}`
        : 'database schema is up to date',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
    if (!this.connection.ownsServer) {
      await this.connection.close();
      return;
    }
    this.logger.log('stopping embedded PostgreSQL');
    await this.connection.close();
    this.logger.log('embedded PostgreSQL stopped');
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static register(connection: DatabaseConnection, config: AppConfig['database']): DynamicModule {
    const options = buildDataSourceOptions({
      url: connection.url,
      poolSize: config.poolSize,
      // DatabaseLifecycle runs them, so that it can log and report their names.
      runMigrations: false,
    });
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...options, retryAttempts: 3, retryDelay: 1000 })],
      providers: [
        { provide: DATABASE_CONNECTION, useValue: connection },
        { provide: DATABASE_SETTINGS, useValue: config },
        DatabaseLifecycle,
      ],
      exports: [DATABASE_CONNECTION, TypeOrmModule, DatabaseLifecycle],
    };
  }
}
