import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { ListRetention } from './list-retention';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsRepository } from './recommendations.repository';
import { RecommendationsService } from './recommendations.service';
import { SERVING_MODEL_PROVIDER, ServingModelProvider } from './serving-model-provider';

@Module({
  controllers: [RecommendationsController],
  providers: [
    RecommendationsRepository,
    ListRetention,
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
