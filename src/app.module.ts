import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { JsonBodyMiddleware } from './common/http/json-body.middleware';
import { buildLoggerParams } from './common/logger';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import type { DatabaseConnection } from './database/database-connection';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { InteractionsModule } from './interactions/interactions.module';
import { ItemsModule } from './items/items.module';
import { ModelsModule } from './models/models.module';
import { RecommendationsModule } from './recommendations/recommendations.module';
import { TrainingModule } from './training/training.module';
import { UsersModule } from './users/users.module';

export interface AppModuleOptions {
  config: AppConfig;
  database: DatabaseConnection;
}

/** Root module. Built from a config and a database connection that exist before Nest starts. */
@Module({})
export class AppModule implements NestModule {
  /**
   * JSON bodies are parsed here rather than in `configureApp`: as a NestJS middleware the
   * parser runs after the global request logger, and its errors reach the exception filter.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes('*path');
  }

  static register({ config, database }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        LoggerModule.forRoot(buildLoggerParams(config.log)),
        DatabaseModule.register(database, config.database),
        HealthModule,
        UsersModule,
        ItemsModule,
        InteractionsModule,
        ModelsModule,
        RecommendationsModule,
        TrainingModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}
