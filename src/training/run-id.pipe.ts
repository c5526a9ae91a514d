import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { previewValue } from '../common/errors/problem-description';
import { ValidationFailedException } from '../common/errors/request.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a training run id path parameter (a UUID) and returns it in lower case. */
@Injectable()
export class RunIdPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!UUID.test(value)) {
      throw new ValidationFailedException([
        { field: metadata.data ?? 'id', value: previewValue(value), problem: 'must be a UUID' },
      ]);
    }
    return value.toLowerCase();
  }
}
