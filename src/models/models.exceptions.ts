import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';

/** No model version has the given id. */
export class ModelVersionNotFoundError extends AppException {
  constructor(readonly versionId: string) {
    super(ErrorCode.NotFound, `model version ${JSON.stringify(versionId)} not found`, [
      { field: 'id', value: versionId, problem: 'no model version has this id' },
    ]);
  }
}
