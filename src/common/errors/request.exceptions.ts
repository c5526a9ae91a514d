import { AppException, ErrorDetail } from './app.exception';
import { ErrorCode } from './error-code';
import { describeProblems } from './problem-description';

/** The request's body, query or path parameters break one or more rules. */
export class ValidationFailedException extends AppException {
  constructor(details: ErrorDetail[]) {
    super(ErrorCode.ValidationFailed, describeProblems(details), details);
  }
}

/** The body is not valid JSON. */
export class InvalidJsonException extends AppException {
  constructor(reason: string) {
    super(ErrorCode.InvalidJson, `request body is not valid JSON: ${reason}`, [
      { field: 'body', problem: reason },
    ]);
  }
}

/** The body is larger than `BODY_LIMIT_BYTES`. */
export class PayloadTooLargeException extends AppException {
  constructor(limitBytes: number) {
    super(
      ErrorCode.PayloadTooLarge,
      `request body is larger than the limit of ${limitBytes} bytes`,
      [{ field: 'body', problem: `must be at most ${limitBytes} bytes` }],
    );
  }
}

/** The body uses a character set or content encoding the parser does not support. */
export class UnsupportedMediaTypeException extends AppException {
  constructor(reason: string) {
    super(ErrorCode.UnsupportedMediaType, `unsupported request body: ${reason}`, [
      { field: 'body', problem: reason },
    ]);
  }
}

/** The body could not be read, for example because the client aborted the upload. */
export class UnreadableBodyException extends AppException {
  constructor(reason: string) {
    super(ErrorCode.BadRequest, `request body could not be read: ${reason}`, [
      { field: 'body', problem: reason },
    ]);
  }
}

/** A batch contains more elements than one request may carry. */
export class BatchTooLargeException extends AppException {
  constructor(field: string, size: number, maxSize: number) {
    super(
      ErrorCode.BatchTooLarge,
      `${field} holds ${size} elements, more than the maximum of ${maxSize} per request; ` +
        'split it into several requests',
      [{ field, value: size, problem: `must contain at most ${maxSize} elements` }],
    );
  }
}
