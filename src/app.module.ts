import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { buildLoggerParams } from './common/logger';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import type { DatabaseConnection } from './database/database-connection';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';

export interface AppModuleOptions {
  config: AppConfig;
  database: DatabaseConnection;
}

/** Root module. Built from a config and a database connection that exist before Nest starts. */
@Module({})
export class AppModule {
  static register({ config, database }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        LoggerModule.forRoot(buildLoggerParams(config.log)),
        DatabaseModule.register(database, config.database),
        HealthModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}
