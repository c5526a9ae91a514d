import { Module } from '@nestjs/common';
import { TrainingRunner } from './training-runner';
import { TrainingRunsController } from './training-runs.controller';
import { TrainingRunsRepository } from './training-runs.repository';
import { TrainingRunsService } from './training-runs.service';
import { TrainingScheduler } from './training-scheduler';

/** Admin training-run API, the runner that executes runs in worker processes, and the schedule. */
@Module({
  controllers: [TrainingRunsController],
  providers: [TrainingRunsRepository, TrainingRunsService, TrainingRunner, TrainingScheduler],
})
export class TrainingModule {}
