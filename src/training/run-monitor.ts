import type { ProgressTracker } from './progress-tracker';
import type { TrainingRunsRepository } from './training-runs.repository';

/** Cause of an aborted run. */
export type AbortCause = 'cancel-requested' | 'no-longer-running' | 'api-process-exited';

/**
 * Keeps a running run's row current from inside the worker. Every `intervalMs` it writes the
 * progress, which also refreshes the heartbeat, and reads the cancel flag. A cancel request,
 * or a row that is no longer `running` (marked failed as stale), aborts `signal`.
 * Writes never overlap, because each one starts only after the previous one settled.
 */
export class RunMonitor {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly runs: TrainingRunsRepository,
    private readonly runId: string,
    private readonly tracker: ProgressTracker,
    private readonly intervalMs: number,
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The cause when the monitor aborted the run, else undefined. */
  get abortCause(): AbortCause | undefined {
    return this.signal.aborted ? (this.signal.reason as AbortCause) : undefined;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
  }

  /** Writes the current progress now, after any write in flight. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }

  abort(cause: AbortCause): void {
    this.controller.abort(cause);
  }

  private async write(): Promise<void> {
    try {
      const state = await this.runs.writeProgress(this.runId, this.tracker.snapshot());
      if (!state.running) {
        this.controller.abort('no-longer-running' satisfies AbortCause);
      } else if (state.cancelRequested) {
        this.controller.abort('cancel-requested' satisfies AbortCause);
      }
    } catch (error: unknown) {
      // A lost write only delays progress, because the next interval retries. A database
      // that stays unreachable ends in a missed heartbeat, and recovery marks the run failed.
      this.onWriteError(error);
    }
  }
}
