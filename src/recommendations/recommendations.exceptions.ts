import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';

/** No stored recommendation list has this id (never served, or removed by retention). */
export class RecommendationListNotFoundException extends AppException {
  constructor(id: string) {
    super(
      ErrorCode.NotFound,
      `recommendation list ${id} not found; lists are kept for RECOMMENDATION_RETENTION_DAYS`,
      [{ field: 'id', value: id, problem: 'not found' }],
    );
  }
}
