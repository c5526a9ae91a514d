import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { previewValue } from '../common/errors/problem-description';
import { ValidationFailedException } from '../common/errors/request.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Returns true when the text is a UUID in its canonical hyphenated form. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Validates a path parameter that contains a UUID. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value)) {
      const field = metadata.data ?? 'id';
      throw new ValidationFailedException([
        { field, value: previewValue(value), problem: 'must be a UUID' },
      ]);
    }
    return value.toLowerCase();
  }
}
