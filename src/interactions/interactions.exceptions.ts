import { AppException, ErrorDetail } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-code';

const MAX_IDS_IN_MESSAGE = 20;

/** Events name items that do not exist, and `AUTO_CREATE_ITEMS` is off. */
export class UnknownItemsException extends AppException {
  /** `details` contains one entry per unknown id, at the first event that names it. */
  constructor(unknownIds: string[], details: ErrorDetail[]) {
    const shown = unknownIds.slice(0, MAX_IDS_IN_MESSAGE).map((id) => JSON.stringify(id));
    const more = unknownIds.length - shown.length;
    super(
      ErrorCode.UnknownItems,
      `unknown item id${unknownIds.length === 1 ? '' : 's'}: ${shown.join(', ')}` +
        (more > 0 ? ` and ${more} more (see details)` : '') +
        '; create the items first (PUT /items/:id) or set AUTO_CREATE_ITEMS=true',
      details,
    );
  }
}
