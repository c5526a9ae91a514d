import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { previewValue } from '../errors/problem-description';
import { BatchTooLargeException, ValidationFailedException } from '../errors/request.exceptions';
import { flattenValidationErrors } from '../errors/validation-errors';
import { findObjectTypeProblem, MISSING_BODY_PROBLEM } from './json-object';
import { MAX_BATCH_SIZE, MAX_BATCH_SIZE_CONSTRAINT } from './validation.decorators';

const PRIMITIVE_TYPES: unknown[] = [String, Boolean, Number, Array, Object];

/**
 * Validates bodies and query strings against their DTO classes: unknown fields are
 * rejected, values are converted to the DTO's types, and the first failed rule of each
 * field is reported in the API's error shape.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors: ValidationError[]) => toException(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const expectsObject =
      metadata.type === 'body' &&
      metadata.metatype !== undefined &&
      !PRIMITIVE_TYPES.includes(metadata.metatype);
    if (expectsObject) {
      assertBodyIsObject(value);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

function toException(errors: ValidationError[]): Error {
  const batchError = errors.find((e) => e.constraints?.[MAX_BATCH_SIZE_CONSTRAINT] !== undefined);
  if (batchError !== undefined) {
    const size = Array.isArray(batchError.value) ? batchError.value.length : 0;
    return new BatchTooLargeException(batchError.property, size, MAX_BATCH_SIZE);
  }
  return new ValidationFailedException(flattenValidationErrors(errors));
}

/**
 * Rejects a body that is absent or is not a JSON object. The two get different messages
 * because only an absent body points to a missing or wrong Content-Type header.
 */
function assertBodyIsObject(body: unknown): void {
  if (body === undefined) {
    throw new ValidationFailedException([{ field: 'body', problem: MISSING_BODY_PROBLEM }]);
  }
  const problem = findObjectTypeProblem(body);
  if (problem !== undefined) {
    throw new ValidationFailedException([{ field: 'body', value: previewValue(body), problem }]);
  }
}
