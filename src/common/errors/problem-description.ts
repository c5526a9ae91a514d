import type { ErrorDetail } from './app.exception';

const MAX_PREVIEW_CHARS = 200;

/**
 * Shortens a rejected value for an error response: long strings and large objects are cut,
 * so a response never echoes a multi-megabyte body. Other values are returned unchanged.
 */
export function previewValue(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_PREVIEW_CHARS ? `${value.slice(0, MAX_PREVIEW_CHARS)}…` : value;
  }
  if (typeof value === 'object' && value !== null) {
    const json = JSON.stringify(value);
    return json.length > MAX_PREVIEW_CHARS ? `${json.slice(0, MAX_PREVIEW_CHARS)}…` : value;
  }
  return value;
}

/** Formats one problem as `field problem (value: …)`. */
export function describeProblem(detail: ErrorDetail): string {
  const subject = detail.field === '' ? 'body' : detail.field;
  if (!('value' in detail) || detail.value === undefined) {
    return `${subject} ${detail.problem}`;
  }
  return `${subject} ${detail.problem} (value: ${JSON.stringify(detail.value)})`;
}

/** Builds an error message from the first problem and the count of the others. */
export function describeProblems(details: ErrorDetail[]): string {
  if (details.length === 0) {
    return 'invalid request';
  }
  const first = describeProblem(details[0]);
  const others = details.length - 1;
  if (others === 0) {
    return first;
  }
  return `${first}, and ${others} more problem${others === 1 ? '' : 's'} (see details)`;
}
