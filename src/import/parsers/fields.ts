import { LineParseError, MAX_EXTERNAL_ID_LENGTH, MAX_TITLE_LENGTH } from '../types';

const UNSIGNED_INTEGER = /^\d+$/;

/** Checks a user or item id: 1 to 128 characters, no NUL (PostgreSQL text cannot store one). */
export function parseExternalId(value: string, field: string): string {
  if (value.length === 0) {
    throw new LineParseError(`${field} is empty`);
  }
  if (value.length > MAX_EXTERNAL_ID_LENGTH) {
    throw new LineParseError(
      `${field} is ${value.length} characters long, the maximum is ${MAX_EXTERNAL_ID_LENGTH}`,
    );
  }
  if (value.includes('\u0000')) {
    throw new LineParseError(`${field} contains a NUL character`);
  }
  return value;
}

/** Checks a MovieLens-style numeric id and returns it unchanged as the external id. */
export function parseNumericId(value: string, field: string): string {
  if (!UNSIGNED_INTEGER.test(value)) {
    throw new LineParseError(`${field} ${JSON.stringify(value)} is not a non-negative integer`);
  }
  return parseExternalId(value, field);
}

/** Parses a Unix timestamp in whole seconds. */
export function parseUnixSeconds(value: string, field: string): Date {
  if (!UNSIGNED_INTEGER.test(value)) {
    throw new LineParseError(
      `${field} ${JSON.stringify(value)} is not a Unix timestamp in whole seconds`,
    );
  }
  return new Date(Number(value) * 1000);
}

/** Parses a finite decimal number such as a rating. */
export function parseNumber(value: string, field: string): number {
  const number = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(number)) {
    throw new LineParseError(`${field} ${JSON.stringify(value)} is not a number`);
  }
  return number;
}

/** Checks an item title: not empty, at most 512 characters, no NUL. */
export function parseTitle(value: string): string {
  const title = value.trim();
  if (title.length === 0) {
    throw new LineParseError('title is empty');
  }
  if (title.length > MAX_TITLE_LENGTH) {
    throw new LineParseError(
      `title is ${title.length} characters long, the maximum is ${MAX_TITLE_LENGTH}`,
    );
  }
  if (title.includes('\u0000')) {
    throw new LineParseError('title contains a NUL character');
  }
  return title;
}
