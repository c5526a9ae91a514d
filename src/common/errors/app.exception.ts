import { ErrorCode } from './error-code';

/** One problem with a request: the field (a path such as `[3].itemId`), its value, and why. */
export interface ErrorDetail {
  field: string;
  value?: unknown;
  problem: string;
  /** Position of the element in a batch, when the problem belongs to one. */
  index?: number;
}

/**
 * Base class of every error that the API reports to clients on purpose. Services throw
 * subclasses carrying a code; the global exception filter turns them into responses.
 */
export abstract class AppException extends Error {
  protected constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}
