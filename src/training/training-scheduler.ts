import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { TrainingRunner } from './training-runner';
import { TrainingRunsRepository } from './training-runs.repository';

/** Maximum time between two checks of the schedule. */
const MAX_CHECK_INTERVAL_MS = 60_000;

/**
 * Queues a run with trigger `schedule` when `RETRAIN_INTERVAL` is set and no run of any
 * trigger was created within the last interval. The check runs at start-up and then every
 * half interval (at most every minute). A queued or running run blocks it, so with several
 * instances only one of them queues each scheduled run.
 */
@Injectable()
export class TrainingScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrainingScheduler');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runs: TrainingRunsRepository,
    private readonly runner: TrainingRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const intervalMs = this.config.training.retrainIntervalMs;
    if (intervalMs === undefined) {
      return;
    }
    this.logger.log(`scheduled retraining every ${intervalMs / 60_000} minutes`);
    await this.queueIfDue(intervalMs);
    const checkMs = Math.min(intervalMs / 2, MAX_CHECK_INTERVAL_MS);
    this.timer = setInterval(() => void this.queueIfDue(intervalMs), checkMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async queueIfDue(intervalMs: number): Promise<void> {
    try {
      const run = await this.runs.insertScheduledIfDue(intervalMs);
      if (run !== undefined) {
        this.logger.log({ runId: run.id }, 'scheduled training run queued');
        this.runner.wake();
      }
    } catch (error: unknown) {
      this.logger.error({ err: error }, 'scheduled training check failed; retrying later');
    }
  }
}
