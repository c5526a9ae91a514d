import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source';
import type { DatabaseConnection } from './database-connection';

/** Injection token of the {@link DatabaseConnection} the process opened before Nest started. */
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/**
 * Closes the connection pool before an embedded server owned by this process stops, so the
 * pool never sees its server vanish.
 */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
    if (this.connection.ownsServer) {
      this.logger.log('stopping embedded PostgreSQL');
    }
    await this.connection.close();
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static register(connection: DatabaseConnection, config: AppConfig['database']): DynamicModule {
    const options = buildDataSourceOptions({
      url: connection.url,
      poolSize: config.poolSize,
      runMigrations: config.runMigrations,
    });
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...options, retryAttempts: 3, retryDelay: 1000 })],
      providers: [{ provide: DATABASE_CONNECTION, useValue: connection }, DatabaseLifecycle],
      exports: [DATABASE_CONNECTION, TypeOrmModule],
    };
  }
}
