import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  TrainingParameters,
  TrainingProgress,
  TrainingRunRow,
  TrainingRunTrigger,
} from './training-run';

const RUN_COLUMNS = `
  id, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt",
  heartbeat_at AS "heartbeatAt", status, trigger, parameters, force,
  cancel_requested AS "cancelRequested", worker, progress, data_cutoff AS "dataCutoff",
  error, model_version_id AS "modelVersionId"`;

/** Index that allows at most one run with status `queued` or `running`. */
const SINGLE_PENDING_INDEX = 'ux_training_runs_single_pending';
const UNIQUE_VIOLATION = '23505';

/** A row of the list, with the sort key of the cursor. */
export type TrainingRunListRow = TrainingRunRow & { createdAtMicros: string };

/** Result of an insert: the new run, or the queued or running run that blocked it. */
export type InsertRunResult =
  { inserted: true; run: TrainingRunRow } | { inserted: false; pending: TrainingRunRow };

/** Result of a progress write: false when the run is no longer `running`. */
export interface RunState {
  running: boolean;
  cancelRequested: boolean;
}

/**
 * SQL access to `training_runs`. Built from a DataSource, so the API and the training worker
 * process share it. Every transition out of `running` is conditional on the row still being
 * `running`, so a worker, the runner that watches it and the stale-run recovery can race
 * without overwriting each other's final status.
 */
@Injectable()
export class TrainingRunsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Queues a run. While another run is queued or running, the partial unique index rejects
   * the insert and the blocking run is returned instead. The look-up after a rejected insert
   * can find no run when the blocking one finished in between, so the insert is retried.
   */
  async insert(
    parameters: TrainingParameters,
    force: boolean,
    trigger: TrainingRunTrigger,
  ): Promise<InsertRunResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const rows: TrainingRunRow[] = await this.dataSource.query(
          `INSERT INTO training_runs (parameters, force, trigger) VALUES ($1, $2, $3)
           RETURNING ${RUN_COLUMNS}`,
          [JSON.stringify(parameters), force, trigger],
        );
        return { inserted: true, run: rows[0] };
      } catch (error: unknown) {
        if (!isSinglePendingViolation(error)) {
          throw error;
        }
      }
      const pending = await this.findPending();
      if (pending !== undefined || attempt >= 3) {
        if (pending === undefined) {
          throw new Error('training run insert keeps conflicting, but no pending run is found');
        }
        return { inserted: false, pending };
      }
    }
  }

  /**
   * Queues a scheduled run when no run was created within the last `intervalMs` and none is
   * queued or running. Returns the new run, or undefined when none was due.
   */
  async insertScheduledIfDue(intervalMs: number): Promise<TrainingRunRow | undefined> {
    const rows: TrainingRunRow[] = await this.dataSource.query(
      `INSERT INTO training_runs (trigger)
       SELECT 'schedule'
       WHERE NOT EXISTS (
         SELECT 1 FROM training_runs
         WHERE created_at > now() - $1::bigint * interval '1 millisecond'
            OR status IN ('queued', 'running'))
       ON CONFLICT DO NOTHING
       RETURNING ${RUN_COLUMNS}`,
      [intervalMs],
    );
    return rows[0];
  }

  async findById(id: string): Promise<TrainingRunRow | undefined> {
    const rows: TrainingRunRow[] = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async findPending(): Promise<TrainingRunRow | undefined> {
    const rows: TrainingRunRow[] = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM training_runs WHERE status IN ('queued', 'running')`,
    );
    return rows[0];
  }

  /**
   * Returns up to `limit` runs, newest first, created before `beforeMicros` (microseconds
   * since 1970). Creation times are unique in practice, because the single-pending index
   * lets only one insert at a time succeed.
   */
  async list(beforeMicros: string | undefined, limit: number): Promise<TrainingRunListRow[]> {
    return this.dataSource.query(
      `SELECT ${RUN_COLUMNS},
              (extract(epoch FROM created_at) * 1000000)::bigint::text AS "createdAtMicros"
       FROM training_runs
       WHERE $1::bigint IS NULL
          OR created_at < timestamptz 'epoch' + $1::bigint * interval '1 microsecond'
       ORDER BY created_at DESC
       LIMIT $2`,
      [beforeMicros ?? null, limit],
    );
  }

  /**
   * Claims the oldest queued run for `worker`. SKIP LOCKED makes concurrent claims from
   * several API instances take different rows (or none), never the same one.
   */
  async claimNext(worker: string): Promise<TrainingRunRow | undefined> {
    const rows: TrainingRunRow[] = await this.update(
      `UPDATE training_runs
       SET status = 'running', worker = $1, started_at = now(), heartbeat_at = now(),
           data_cutoff = now()
       WHERE id = (
         SELECT id FROM training_runs WHERE status = 'queued'
         ORDER BY created_at
         FOR UPDATE SKIP LOCKED
         LIMIT 1)
       RETURNING ${RUN_COLUMNS}`,
      [worker],
    );
    return rows[0];
  }

  async setWorker(id: string, worker: string): Promise<void> {
    await this.update(`UPDATE training_runs SET worker = $2 WHERE id = $1 AND status = 'running'`, [
      id,
      worker,
    ]);
  }

  /**
   * Cancels a queued run at once, or flags a running one for its worker to stop. Returns
   * the updated run, or undefined when the run does not exist or has already finished.
   */
  async requestCancel(id: string): Promise<TrainingRunRow | undefined> {
    const rows: TrainingRunRow[] = await this.update(
      `UPDATE training_runs
       SET cancel_requested = true,
           status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
           finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
           error = CASE WHEN status = 'queued' THEN 'cancelled before it started' ELSE error END
       WHERE id = $1 AND status IN ('queued', 'running')
       RETURNING ${RUN_COLUMNS}`,
      [id],
    );
    return rows[0];
  }

  /** Stores the progress and refreshes the heartbeat of a running run. */
  async writeProgress(id: string, progress: TrainingProgress): Promise<RunState> {
    return this.touch(id, `progress = $2,`, [JSON.stringify(progress)]);
  }

  /** Refreshes the heartbeat of a running run and reads its cancel flag. */
  async heartbeat(id: string): Promise<RunState> {
    return this.touch(id, '', []);
  }

  /**
   * Marks a running run succeeded with its model version, unless a cancel was requested or
   * the run is no longer running (for example marked failed as stale). Returns whether it
   * was marked.
   */
  async markSucceeded(
    id: string,
    modelVersionId: string,
    progress: TrainingProgress,
  ): Promise<boolean> {
    const rows: { id: string }[] = await this.update(
      `UPDATE training_runs
       SET status = 'succeeded', finished_at = now(), heartbeat_at = now(),
           model_version_id = $2, progress = $3
       WHERE id = $1 AND status = 'running' AND NOT cancel_requested
       RETURNING id`,
      [id, modelVersionId, JSON.stringify(progress)],
    );
    return rows.length > 0;
  }

  /** Ends a running run as `failed` or `cancelled` with a reason. Returns false when it had already ended. */
  async markEnded(
    id: string,
    status: 'failed' | 'cancelled',
    reason: string,
    modelVersionId: string | null = null,
  ): Promise<boolean> {
    const rows: { id: string }[] = await this.update(
      `UPDATE training_runs
       SET status = $2, error = $3, finished_at = now(),
           model_version_id = COALESCE($4, model_version_id)
       WHERE id = $1 AND status = 'running'
       RETURNING id`,
      [id, status, reason, modelVersionId],
    );
    return rows.length > 0;
  }

  /** Stores an error on a run whatever its status, for a failure after it ended. */
  async recordError(id: string, message: string): Promise<void> {
    await this.dataSource.query(`UPDATE training_runs SET error = $2 WHERE id = $1`, [id, message]);
  }

  /** Marks `running` runs whose heartbeat is older than `timeoutSeconds` as failed. */
  async failStale(timeoutSeconds: number): Promise<TrainingRunRow[]> {
    return this.update(
      `UPDATE training_runs
       SET status = 'failed', finished_at = now(),
           error = 'no heartbeat from worker ' || coalesce(worker, '(unknown)') ||
                   ' for more than ' || $2::text || ' seconds; its process is gone or stuck'
       WHERE status = 'running' AND heartbeat_at < now() - $1::int * interval '1 second'
       RETURNING ${RUN_COLUMNS}`,
      [timeoutSeconds, String(timeoutSeconds)],
    );
  }

  /** Returns the running runs whose worker label starts with `prefix` (the runs of one host). */
  async findRunningByWorkerPrefix(prefix: string): Promise<TrainingRunRow[]> {
    return this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM training_runs
       WHERE status = 'running' AND starts_with(worker, $1)`,
      [prefix],
    );
  }

  /** Runs an UPDATE … RETURNING and returns its rows (TypeORM gives `[rows, rowCount]`). */
  private async update<T>(sql: string, values: unknown[]): Promise<T[]> {
    const [rows] = await this.dataSource.query<[T[], number]>(sql, values);
    return rows;
  }

  private async touch(id: string, assignments: string, values: unknown[]): Promise<RunState> {
    const rows: { cancelRequested: boolean }[] = await this.update(
      `UPDATE training_runs SET ${assignments} heartbeat_at = now()
       WHERE id = $1 AND status = 'running'
       RETURNING cancel_requested AS "cancelRequested"`,
      [id, ...values],
    );
    return rows.length === 0
      ? { running: false, cancelRequested: false }
      : { running: true, cancelRequested: rows[0].cancelRequested };
  }
}

function isSinglePendingViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown; constraint?: unknown } })
    .driverError;
  return driverError?.code === UNIQUE_VIOLATION && driverError.constraint === SINGLE_PENDING_INDEX;
}
