import { Module } from '@nestjs/common';
import type { InferenceSession } from 'onnxruntime-node';
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

/**
 * ONNX Runtime options of the serving sessions: a fixed number of intra-op threads and,
 * unless turned on, no spinning, so that idle threads leave the cores to PostgreSQL and
 * the HTTP thread.
 */
export function servingSessionOptions(
  settings: AppConfig['models'],
): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: settings.servingThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: {
      session: { intra_op: { allow_spinning: settings.servingSpinning ? '1' : '0' } },
    },
  };
}

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
        worker: config.models.servingWorker,
        sessionOptions: servingSessionOptions(config.models),
      }),
      inject: [APP_CONFIG, DATABASE_CONNECTION],
    },
    ActiveModelService,
  ],
  exports: [ModelRegistry, ActiveModelService],
})
export class ModelsModule {}
