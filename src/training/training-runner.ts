import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { DatabaseConnection } from '../database/database-connection';
import { DATABASE_CONNECTION } from '../database/database.module';
import type { TrainingRunRow } from './training-run';
import { TrainingRunsRepository } from './training-runs.repository';
import { describeWorkerExit, WorkerProcess } from './worker-process';

/** Milliseconds between a worker's heartbeats, which also read the run's cancel flag. */
const HEARTBEAT_INTERVAL_MS = 1000;
/** How long a worker may take to exit after SIGTERM at shutdown before it gets SIGKILL. */
const STOP_GRACE_MS = 5000;

/**
 * Executes queued training runs in this API instance, one at a time. Every poll interval it
 * marks stale runs failed. When idle, it then claims the oldest queued run and forks a worker
 * process for it. The claim uses SKIP LOCKED, so several instances never claim the same run.
 * A worker that exits without reporting a result leaves its run failed.
 */
@Injectable()
export class TrainingRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TrainingRunner');
  private readonly host = hostname();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private active: { run: TrainingRunRow; worker: WorkerProcess } | undefined;
  private stopped = false;

  constructor(
    private readonly runs: TrainingRunsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_CONNECTION) private readonly database: DatabaseConnection,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.recoverStaleRuns();
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const active = this.active;
    if (active !== undefined) {
      this.logger.warn({ runId: active.run.id }, 'stopping the training worker for shutdown');
      await active.worker.stop(STOP_GRACE_MS);
      await this.runs.markEnded(active.run.id, 'failed', 'the API instance stopped during the run');
    }
  }

  /** Checks for a queued run now instead of at the next poll, e.g. right after a request. */
  wake(): void {
    if (!this.stopped && this.ticking === undefined) {
      this.schedule(0);
    }
  }

  /** Tells this instance's worker to stop now when it is running the cancelled run. */
  relayCancel(runId: string): void {
    if (this.active?.run.id === runId) {
      this.active.worker.sendCancel(runId);
    }
  }

  /** Label stored in `training_runs.worker`: host and pid of the process doing the work. */
  private workerLabel(pid: number): string {
    return `${this.host}:${pid}`;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.startTick, delayMs);
  }

  /**
   * Runs a tick in the async context of this provider's creation. A tick woken by a request
   * would otherwise inherit that request's context, and the request logger would tag every
   * line of the run with that request's id.
   */
  private readonly startTick = AsyncResource.bind(() => {
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
      if (!this.stopped) {
        this.schedule(this.config.training.pollIntervalMs);
      }
    });
  });

  private async tick(): Promise<void> {
    try {
      await this.recoverStaleRuns();
      if (this.config.training.runnerEnabled && this.active === undefined && !this.stopped) {
        await this.claimAndStart();
      }
    } catch (error: unknown) {
      this.logger.error({ err: error }, 'training runner poll failed; retrying at the next poll');
    }
  }

  private async claimAndStart(): Promise<void> {
    const run = await this.runs.claimNext(this.workerLabel(process.pid));
    if (run === undefined) {
      return;
    }
    let worker: WorkerProcess;
    try {
      worker = WorkerProcess.start({
        type: 'start',
        runId: run.id,
        databaseUrl: this.database.url,
        threads: this.config.training.threads,
        niceness: this.config.training.niceness,
        promotionTolerance: this.config.training.promotionTolerance,
        heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
        logLevel: this.config.log.level,
      });
    } catch (error: unknown) {
      const reason = `failed to start the training worker: ${describe(error)}`;
      this.logger.error({ runId: run.id, err: error }, reason);
      await this.runs.markEnded(run.id, 'failed', reason);
      return;
    }

    this.active = { run, worker };
    this.logger.log({ runId: run.id, pid: worker.pid }, 'training run claimed; worker started');
    if (worker.pid !== undefined) {
      await this.runs.setWorker(run.id, this.workerLabel(worker.pid));
    }
    void this.watch(run, worker);
  }

  /** Waits for the worker to exit and fails its run when it exits without a result. */
  private async watch(run: TrainingRunRow, worker: WorkerProcess): Promise<void> {
    const exit = await worker.exited;
    this.active = undefined;
    if (exit.result !== undefined) {
      this.logger.log(
        { runId: run.id, status: exit.result.status, modelVersionId: exit.result.modelVersionId },
        `training run ${exit.result.status}`,
      );
    } else if (!this.stopped) {
      const reason = describeWorkerExit(worker.pid, exit);
      this.logger.error({ runId: run.id }, reason);
      await this.runs.markEnded(run.id, 'failed', reason).catch((error: unknown) => {
        this.logger.error({ runId: run.id, err: error }, 'failed to mark the run failed');
      });
    }
    this.wake();
  }

  /**
   * Marks failed the running runs whose heartbeat is older than the timeout, and those whose
   * worker label names this host with a process that no longer exists.
   */
  private async recoverStaleRuns(): Promise<void> {
    const timeout = this.config.training.heartbeatTimeoutSeconds;
    for (const run of await this.runs.failStale(timeout)) {
      this.logger.warn({ runId: run.id, worker: run.worker }, `training run failed: ${run.error}`);
    }

    for (const run of await this.runs.findRunningByWorkerPrefix(`${this.host}:`)) {
      // This instance's own worker is left to `watch`, which reports its exit code or signal.
      const pid = Number(run.worker?.slice(this.host.length + 1));
      if (run.id === this.active?.run.id || !Number.isInteger(pid) || isProcessAlive(pid)) {
        continue;
      }
      const reason = `worker process ${pid} on ${this.host} is not running`;
      if (await this.runs.markEnded(run.id, 'failed', reason)) {
        this.logger.warn({ runId: run.id, worker: run.worker }, `training run failed: ${reason}`);
      }
    }
  }
}

/**
 * True when a process with this pid exists (possibly owned by another user) and, where
 * /proc shows it, is not a zombie. A worker whose API process died is re-parented, and it
 * stays a zombie until its new parent reaps it, which a container's init may never do.
 */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
