import { AppException, ErrorDetail } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';
import { describeProblems } from '../common/errors/problem-description';

/** No item has the given id. */
export class ItemNotFoundException extends AppException {
  constructor(itemId: string) {
    super(ErrorCode.NotFound, `item ${JSON.stringify(itemId)} not found`, [
      { field: 'id', value: itemId, problem: 'no item has this id' },
    ]);
  }
}

/** A bulk request names the same item id more than once. */
export class DuplicateItemIdsException extends AppException {
  constructor(details: ErrorDetail[]) {
    super(ErrorCode.ValidationFailed, describeProblems(details), details);
  }
}

/** A PATCH body names no field to change. */
export class EmptyItemPatchException extends AppException {
  constructor(fields: string[]) {
    super(ErrorCode.ValidationFailed, `body must set at least one of: ${fields.join(', ')}`, [
      { field: 'body', value: {}, problem: `must set at least one of: ${fields.join(', ')}` },
    ]);
  }
}
