import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';
import type { TrainingRunStatus } from './training-run';

/** No training run has the given id. */
export class TrainingRunNotFoundException extends AppException {
  constructor(id: string) {
    super(ErrorCode.NotFound, `training run ${JSON.stringify(id)} not found`, [
      { field: 'id', value: id, problem: 'no training run has this id' },
    ]);
  }
}

/** A run cannot be queued while another is queued or running; the details carry its id. */
export class TrainingRunInProgressException extends AppException {
  constructor(
    readonly pendingRunId: string,
    status: TrainingRunStatus,
  ) {
    super(
      ErrorCode.TrainingRunInProgress,
      `training run ${pendingRunId} is already ${status}; wait for it to finish or cancel it ` +
        `with POST /admin/training-runs/${pendingRunId}/cancel`,
      [{ field: 'runId', value: pendingRunId, problem: `is ${status}` }],
    );
  }
}

/** Cancel was requested for a run that has already finished. */
export class TrainingRunFinishedException extends AppException {
  constructor(id: string, status: TrainingRunStatus) {
    super(
      ErrorCode.TrainingRunFinished,
      `training run ${id} has already finished with status ${status}`,
      [{ field: 'id', value: id, problem: `has status ${status} and can no longer be cancelled` }],
    );
  }
}
