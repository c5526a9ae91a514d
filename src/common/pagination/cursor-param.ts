import { previewValue } from '../errors/problem-description';
import { ValidationFailedException } from '../errors/request.exceptions';
import { decodeCursor } from './cursor';

/**
 * Decodes the `cursor` query parameter of a list request: undefined when absent, the key
 * parts when valid, and a VALIDATION_FAILED error naming the cursor otherwise.
 */
export function readCursorParam(cursor: string | undefined, length: number): string[] | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const key = decodeCursor(cursor, length);
  if (key === undefined) {
    throw new ValidationFailedException([
      {
        field: 'cursor',
        value: previewValue(cursor),
        problem: 'is not a valid cursor; pass the nextCursor of the previous page unchanged',
      },
    ]);
  }
  return key;
}
