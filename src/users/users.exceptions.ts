import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';

/** No user has the given id. */
export class UserNotFoundException extends AppException {
  constructor(userId: string) {
    super(ErrorCode.NotFound, `user ${JSON.stringify(userId)} not found`, [
      { field: 'id', value: userId, problem: 'no user has this id' },
    ]);
  }
}
