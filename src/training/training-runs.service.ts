import { Injectable, Logger } from '@nestjs/common';
import { readCursorParam } from '../common/pagination/cursor-param';
import type { PageQueryDto } from '../common/pagination/page-query.dto';
import { Page, toPage } from '../common/pagination/page';
import type { TrainingRunResponseDto } from './dto/training-run-response.dto';
import { parseStartTrainingRequest } from './training-parameters';
import { TrainingRunner } from './training-runner';
import type { TrainingRunRow } from './training-run';
import {
  TrainingRunFinishedException,
  TrainingRunInProgressException,
  TrainingRunNotFoundException,
} from './training-runs.exceptions';
import { TrainingRunsRepository } from './training-runs.repository';

@Injectable()
export class TrainingRunsService {
  private readonly logger = new Logger('TrainingRuns');

  constructor(
    private readonly runs: TrainingRunsRepository,
    private readonly runner: TrainingRunner,
  ) {}

  /** Validates the overrides and queues a run. Throws a 409 error while another run is pending. */
  async start(body: unknown): Promise<TrainingRunResponseDto> {
    const request = parseStartTrainingRequest(body);

    const result = await this.runs.insert(request.parameters, request.force, 'api');
    if (!result.inserted) {
      throw new TrainingRunInProgressException(result.pending.id, result.pending.status);
    }

    this.logger.log({ runId: result.run.id, force: request.force }, 'training run queued');
    this.runner.wake();
    return toTrainingRunResponse(result.run);
  }

  async get(id: string): Promise<TrainingRunResponseDto> {
    const run = await this.runs.findById(id);
    if (run === undefined) {
      throw new TrainingRunNotFoundException(id);
    }
    return toTrainingRunResponse(run);
  }

  async list(query: PageQueryDto): Promise<Page<TrainingRunResponseDto>> {
    const [beforeMicros] = readCursorParam(query.cursor, 1) ?? [];

    const rows = await this.runs.list(beforeMicros, query.limit + 1);

    return toPage(rows, query.limit, (row) => [row.createdAtMicros], toTrainingRunResponse);
  }

  /**
   * Cancels a queued run at once. A running run gets its cancel flag set. Its worker reads the
   * flag every second (at once when it runs on this instance), stops after the training step
   * in progress and marks the run `cancelled`.
   */
  async cancel(id: string): Promise<TrainingRunResponseDto> {
    const run = await this.runs.requestCancel(id);
    if (run === undefined) {
      const existing = await this.runs.findById(id);
      if (existing === undefined) {
        throw new TrainingRunNotFoundException(id);
      }
      throw new TrainingRunFinishedException(id, existing.status);
    }

    this.runner.relayCancel(id);
    this.logger.log({ runId: id, status: run.status }, 'training run cancel requested');
    return toTrainingRunResponse(run);
  }
}

/** Maps a run row to its response, with elapsed time computed now for a running run. */
export function toTrainingRunResponse(
  row: TrainingRunRow,
  now: Date = new Date(),
): TrainingRunResponseDto {
  const progress = row.progress;
  const end = row.finishedAt ?? now;
  const finished = row.finishedAt !== null;
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    dataCutoff: row.dataCutoff?.toISOString() ?? null,
    parameters: row.parameters,
    force: row.force,
    cancelRequested: row.cancelRequested,
    worker: row.worker,
    phase: finished ? null : (progress.phase ?? null),
    currentEpoch: progress.epoch ?? null,
    maxEpochs: progress.maxEpochs ?? null,
    epochs: progress.epochs ?? [],
    examplesPerSecond: progress.examplesPerSecond ?? null,
    stepsPerSecond: progress.stepsPerSecond ?? null,
    elapsedSeconds:
      row.startedAt === null ? null : (end.getTime() - row.startedAt.getTime()) / 1000,
    etaSeconds: finished ? 0 : (progress.etaSeconds ?? null),
    modelVersionId: row.modelVersionId,
    promotion: progress.promotion ?? null,
    error: row.error,
  };
}
