/**
 * Machine-readable error codes of the HTTP API. Clients branch on `code`; the global
 * exception filter maps each one to an HTTP status.
 */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  InvalidJson = 'INVALID_JSON',
  BadRequest = 'BAD_REQUEST',
  BatchTooLarge = 'BATCH_TOO_LARGE',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  RouteNotFound = 'ROUTE_NOT_FOUND',
  UnknownItems = 'UNKNOWN_ITEMS',
  TrainingRunInProgress = 'TRAINING_RUN_IN_PROGRESS',
  TrainingRunFinished = 'TRAINING_RUN_FINISHED',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InternalError = 'INTERNAL_ERROR',
}
