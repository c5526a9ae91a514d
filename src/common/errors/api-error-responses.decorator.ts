import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid JSON or a field breaks a rule (VALIDATION_FAILED, INVALID_JSON)',
  401: 'Missing or wrong x-api-key (UNAUTHORIZED)',
  404: 'No such resource (NOT_FOUND)',
  409: 'Conflicts with the current state (TRAINING_RUN_IN_PROGRESS, TRAINING_RUN_FINISHED)',
  413: 'Body over BODY_LIMIT_BYTES or batch over 1,000 elements',
  422: 'The events name items that do not exist (UNKNOWN_ITEMS)',
  500: 'Unexpected failure (INTERNAL_ERROR)',
};

/** Documents the error responses of a route; 400, 401 and 500 apply to every route. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([400, 401, ...statuses, 500])];
  return applyDecorators(
    ...all.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto }),
    ),
  );
}
