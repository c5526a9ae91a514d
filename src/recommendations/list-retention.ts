import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { RecommendationsRepository } from './recommendations.repository';

/** Interval between two retention passes. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes served lists older than `RECOMMENDATION_RETENTION_DAYS`: once at start-up, then
 * every hour. The timer does not keep the process alive and stops at shutdown.
 */
@Injectable()
export class ListRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ListRetention');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: RecommendationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.deleteExpired();
    this.timer = setInterval(() => void this.deleteExpired(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes expired lists; logs and keeps going when the database fails. */
  async deleteExpired(): Promise<number> {
    const days = this.config.recommendations.retentionDays;
    try {
      const deleted = await this.repository.deleteOlderThan(days);
      if (deleted > 0) {
        this.logger.log(`deleted ${deleted} recommendation lists older than ${days} days`);
      }
      return deleted;
    } catch (error: unknown) {
      this.logger.error(
        `failed to delete recommendation lists older than ${days} days: ${String(error)}`,
      );
      return 0;
    }
  }
}
