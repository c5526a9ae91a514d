import type { ValidationError } from 'class-validator';
import type { ErrorDetail } from './app.exception';
import { previewValue } from './problem-description';

const ARRAY_INDEX = /^\d+$/;

/**
 * Flattens class-validator's error tree into one detail per failed constraint, with the
 * field as a path (`items[3].title`) and the index of the batch element when there is one.
 */
export function flattenValidationErrors(errors: ValidationError[], basePath = ''): ErrorDetail[] {
  return errors.flatMap((error) => flattenOne(error, basePath));
}

function flattenOne(error: ValidationError, parentPath: string): ErrorDetail[] {
  const path = joinPath(parentPath, error.property);
  const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
    withIndex({
      field: path,
      value: previewValue(error.value),
      problem: describeConstraint(constraint, message, error.property),
    }),
  );
  const nested = flattenValidationErrors(error.children ?? [], path);
  return [...own, ...nested];
}

/** Appends a property to a path, writing array indexes in brackets. */
export function joinPath(parent: string, property: string): string {
  if (ARRAY_INDEX.test(property)) {
    return `${parent}[${property}]`;
  }
  return parent === '' ? property : `${parent}.${property}`;
}

/** Reads the first array index of a path such as `items[3].title` or `[3].itemId`. */
export function indexOfPath(path: string): number | undefined {
  const match = /\[(\d+)\]/.exec(path);
  return match === null ? undefined : Number(match[1]);
}

function withIndex(detail: ErrorDetail): ErrorDetail {
  const index = indexOfPath(detail.field);
  return index === undefined ? detail : { ...detail, index };
}

/** Drops the leading property name from class-validator's messages ("title must be …"). */
function describeConstraint(constraint: string, message: string, property: string): string {
  if (constraint === 'whitelistValidation') {
    return 'is not an allowed field';
  }
  const prefix = `${property} `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
