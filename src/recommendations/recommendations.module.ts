import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { ActiveModelService } from '../models/active-model.service';
import { ModelsModule } from '../models/models.module';
import { ListRetention } from './list-retention';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsRepository } from './recommendations.repository';
import { RecommendationsService } from './recommendations.service';
import { SERVING_MODEL_PROVIDER, ServingModelProvider } from './serving-model-provider';

/** `GET /recommendations`, stored lists, attribution and retention, on the active model. */
@Module({
  imports: [ModelsModule],
  controllers: [RecommendationsController],
  providers: [
    RecommendationsRepository,
    ListRetention,
    { provide: SERVING_MODEL_PROVIDER, useExisting: ActiveModelService },
    {
      provide: RecommendationsService,
      inject: [RecommendationsRepository, SERVING_MODEL_PROVIDER, APP_CONFIG],
      useFactory: (
        repository: RecommendationsRepository,
        models: ServingModelProvider,
        config: AppConfig,
      ) => new RecommendationsService(repository, models, config.recommendations),
    },
  ],
  exports: [RecommendationsService],
})
export class RecommendationsModule {}
