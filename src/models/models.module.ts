import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { DatabaseConnection } from '../database/database-connection';
import { DATABASE_CONNECTION } from '../database/database.module';
import {
  ActiveModelService,
  MODEL_SERVING_OPTIONS,
  ModelServingOptions,
} from './active-model.service';
import { ModelRegistry } from './model-registry';
import { ModelsController } from './models.controller';

/** The model registry, the active model of this instance and the admin routes for both. */
@Module({
  controllers: [ModelsController],
  providers: [
    {
      provide: ModelRegistry,
      useFactory: (dataSource: DataSource) => new ModelRegistry(dataSource),
      inject: [DataSource],
    },
    {
      provide: MODEL_SERVING_OPTIONS,
      useFactory: (config: AppConfig, connection: DatabaseConnection): ModelServingOptions => ({
        databaseUrl: connection.url,
        listen: true,
        pollIntervalMs: config.models.pollIntervalMs,
      }),
      inject: [APP_CONFIG, DATABASE_CONNECTION],
    },
    ActiveModelService,
  ],
  exports: [ModelRegistry, ActiveModelService],
})
export class ModelsModule {}
