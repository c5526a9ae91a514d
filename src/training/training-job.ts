import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { encodeModel, loadEncodedModel } from '../model/qformer/model-store';
import { DEFAULT_TRAINER_OPTIONS, TrainerOptions } from '../model/qformer/trainer';
import { ModelRegistry } from '../models/model-registry';
import { trainFromDatabase, TrainFromDatabaseResult } from '../models/train-from-database';
import { ProgressTracker } from './progress-tracker';
import { decidePromotion, validationNdcg10, workerSessionOptions } from './promotion';
import { AbortCause, RunMonitor } from './run-monitor';
import type { PromotionOutcome, TrainingRunRow } from './training-run';
import { TrainingRunsRepository } from './training-runs.repository';
import type { RunEndedMessage, StartRunMessage } from './worker-protocol';

/** Thrown from the step callback to stop the trainer between two steps. */
class RunAbortedError extends Error {
  override readonly name = 'RunAbortedError';
}

const ABORT_REASONS: Record<AbortCause, string> = {
  'cancel-requested': 'cancelled on request',
  'no-longer-running': 'the run was marked ended by another process (for example as stale)',
  'api-process-exited': 'the API process that started the training worker exited',
};

/**
 * Executes one claimed training run inside the worker process. It trains on the
 * interactions up to the run's data cut-off and evaluates the new version and the active one
 * on the same validation users. Then it registers the new version and activates it when it
 * passes the promotion check. A run that fails or is cancelled never activates anything.
 */
export class TrainingJob {
  private readonly runs: TrainingRunsRepository;
  private readonly registry: ModelRegistry;
  private monitor: RunMonitor | undefined;
  private pendingAbort: AbortCause | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: StartRunMessage,
    private readonly logger: Logger,
  ) {
    this.runs = new TrainingRunsRepository(dataSource);
    this.registry = new ModelRegistry(dataSource);
  }

  /**
   * Stops the run after the training step in progress: on a cancel request relayed by the
   * API process, or because the API process that owns the run is gone.
   */
  abort(cause: AbortCause): void {
    this.pendingAbort ??= cause;
    this.monitor?.abort(cause);
  }

  async run(): Promise<RunEndedMessage> {
    const run = await this.runs.findById(this.settings.runId);
    if (run === undefined || run.status !== 'running') {
      return this.ended('failed', null, `run is ${run?.status ?? 'missing'}, not running`);
    }

    const trainer = run.parameters.trainer;
    const tracker = new ProgressTracker(
      trainer.epochs ?? DEFAULT_TRAINER_OPTIONS.epochs,
      trainer.maxSeconds,
    );
    const monitor = new RunMonitor(
      this.runs,
      run.id,
      tracker,
      this.settings.heartbeatIntervalMs,
      (error) => this.logger.warn({ err: error }, 'progress write failed; retrying'),
    );
    this.monitor = monitor;
    if (this.pendingAbort !== undefined) {
      monitor.abort(this.pendingAbort);
    }
    monitor.start();
    try {
      return await this.execute(run, tracker, monitor);
    } catch (error: unknown) {
      return await this.endAfterError(run.id, monitor, error);
    } finally {
      await monitor.stop();
    }
  }

  private async execute(
    run: TrainingRunRow,
    tracker: ProgressTracker,
    monitor: RunMonitor,
  ): Promise<RunEndedMessage> {
    this.logger.info({ parameters: run.parameters }, 'training run started');
    const trained = await this.train(run, tracker, monitor);
    this.throwIfAborted(monitor);

    tracker.setPhase('evaluating');
    await monitor.flush();
    const promotion = await this.comparePromotion(run, trained);
    this.throwIfAborted(monitor);

    tracker.setPhase('registering');
    const version = await this.registry.register({
      contents: trained.contents,
      eventTypes: trained.eventTypes,
      dataCutoff: trained.dataCutoff,
      trainingRunId: run.id,
      status: promotion.decision === 'promoted' ? 'registered' : 'rejected',
    });
    const progress = { ...tracker.snapshot(), phase: undefined, etaSeconds: 0, promotion };
    if (!(await this.runs.markSucceeded(run.id, version.id, progress))) {
      return this.endWithoutActivation(run.id, version.id);
    }

    // The run is marked succeeded before activation. A crash in between then leaves a
    // succeeded run whose version is inactive, never an active version from a failed run.
    if (promotion.decision === 'promoted') {
      await this.activate(run.id, version.id);
    }
    this.logger.info(
      { modelVersionId: version.id, promotion },
      `training run succeeded; new version ${promotion.decision}`,
    );
    return this.ended('succeeded', version.id, null);
  }

  private train(
    run: TrainingRunRow,
    tracker: ProgressTracker,
    monitor: RunMonitor,
  ): Promise<TrainFromDatabaseResult> {
    const trainer: Partial<TrainerOptions> = {
      ...run.parameters.trainer,
      sessionOptions: { intraOpNumThreads: this.settings.threads, allowSpinning: false },
    };
    return trainFromDatabase(this.dataSource, {
      model: run.parameters.model,
      trainer,
      topK: run.parameters.topK,
      validationUsers: run.parameters.validationUsers,
      cutoff: run.dataCutoff ?? undefined,
      signal: monitor.signal,
      onStart: (plan) => this.logger.info({ epoch: plan }, 'training epoch planned'),
      onStep: (step) => {
        tracker.onStep(step);
        // Stops the trainer right after this step, whatever trainFromDatabase does with
        // the signal.
        if (monitor.signal.aborted) {
          throw new RunAbortedError(String(monitor.signal.reason));
        }
      },
      onEpoch: (summary) => {
        tracker.onEpoch(summary);
        void monitor.flush();
      },
    });
  }

  /** Scores the new version and the active one on the run's validation users. */
  private async comparePromotion(
    run: TrainingRunRow,
    trained: TrainFromDatabaseResult,
  ): Promise<PromotionOutcome> {
    const sessionOptions = workerSessionOptions(this.settings.threads);
    const { validation, contents } = trained;
    const batchSize = run.parameters.trainer.validationBatchSize ?? 256;

    const candidate = await loadEncodedModel(
      encodeModel(contents),
      `training run ${run.id}`,
      sessionOptions,
    );
    const candidateNdcg10 = await validationNdcg10(
      candidate,
      validation,
      contents.vocabulary,
      batchSize,
    );

    const active = await this.registry.findActive();
    let activeScore = null;
    if (active !== null) {
      const artifact = await this.registry.loadArtifact(active.id, sessionOptions);
      const ndcg10 = await validationNdcg10(artifact, validation, contents.vocabulary, batchSize);
      activeScore = { versionId: active.id, ndcg10 };
    }
    return decidePromotion({
      candidateNdcg10,
      active: activeScore,
      force: run.force,
      tolerance: this.settings.promotionTolerance,
      validationUsers: validation.targets.length,
    });
  }

  private async activate(runId: string, versionId: string): Promise<void> {
    try {
      await this.registry.activate(versionId);
    } catch (error: unknown) {
      const message = `registered version ${versionId} but failed to activate it: ${describe(error)}`;
      this.logger.error({ err: error }, message);
      await this.runs.recordError(runId, message);
    }
  }

  /** Ends a run that stopped being `running` during registration (cancelled or marked failed). */
  private async endWithoutActivation(runId: string, versionId: string): Promise<RunEndedMessage> {
    const current = await this.runs.findById(runId);
    if (current?.status === 'running' && current.cancelRequested) {
      const reason = `${ABORT_REASONS['cancel-requested']}; version ${versionId} stays inactive`;
      await this.runs.markEnded(runId, 'cancelled', reason, versionId);
      return this.ended('cancelled', versionId, reason);
    }
    const reason = `run became ${current?.status ?? 'missing'} during registration`;
    return this.ended('failed', versionId, reason);
  }

  private async endAfterError(
    runId: string,
    monitor: RunMonitor,
    error: unknown,
  ): Promise<RunEndedMessage> {
    const cause = monitor.abortCause;
    if (cause === 'cancel-requested') {
      await this.runs.markEnded(runId, 'cancelled', ABORT_REASONS[cause]);
      this.logger.info('training run cancelled');
      return this.ended('cancelled', null, ABORT_REASONS[cause]);
    }
    const reason = cause === undefined ? describe(error) : ABORT_REASONS[cause];
    await this.runs.markEnded(runId, 'failed', reason);
    this.logger.error({ err: error }, `training run failed: ${reason}`);
    return this.ended('failed', null, reason);
  }

  private throwIfAborted(monitor: RunMonitor): void {
    if (monitor.signal.aborted) {
      throw new RunAbortedError(String(monitor.signal.reason));
    }
  }

  private ended(
    status: RunEndedMessage['status'],
    modelVersionId: string | null,
    error: string | null,
  ): RunEndedMessage {
    return { type: 'ended', runId: this.settings.runId, status, modelVersionId, error };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
