import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { previewValue } from '../errors/problem-description';
import { ValidationFailedException } from '../errors/request.exceptions';
import { findIdProblem } from './text-rules';

/** Validates a path parameter that contains a user or item id. */
@Injectable()
export class ExternalIdPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    const problem = findIdProblem(value);
    if (problem !== undefined) {
      const field = metadata.data ?? 'id';
      throw new ValidationFailedException([{ field, value: previewValue(value), problem }]);
    }
    return value;
  }
}
