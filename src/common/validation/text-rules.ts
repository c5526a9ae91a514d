/** Maximum length of a user, item or event id, the size of the varchar(128) columns. */
export const MAX_ID_LENGTH = 128;

// A high surrogate without a low one after it, or a low surrogate without a high one before.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Tells whether a string has a C0 control, DEL or a C1 control character. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      return true;
    }
  }
  return false;
}

/** Like {@link hasControlCharacter}, but tab, line feed and carriage return are allowed. */
function hasControlCharacterOtherThanWhitespace(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const isWhitespace = code === 0x09 || code === 0x0a || code === 0x0d;
    if (!isWhitespace && (code <= 0x1f || (code >= 0x7f && code <= 0x9f))) {
      return true;
    }
  }
  return false;
}

/**
 * Tells whether a string has a lone UTF-16 surrogate. JSON allows them (`"\ud800"`) but
 * PostgreSQL rejects them in text and jsonb, so they must be caught before a query runs.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Returns why `value` is not a valid id, or undefined when it is one. An id is a string of
 * 1 to 128 characters with no control characters. An absent field (undefined) is reported
 * as required.
 */
export function findIdProblem(value: unknown): string | undefined {
  if (value === undefined) {
    return 'is required';
  }
  if (typeof value !== 'string') {
    return 'must be a string';
  }
  if (value.length === 0) {
    return 'must not be empty';
  }
  if (value.length > MAX_ID_LENGTH) {
    return `must be at most ${MAX_ID_LENGTH} characters long (got ${value.length})`;
  }
  if (hasControlCharacter(value)) {
    return 'must not contain control characters';
  }
  if (hasLoneSurrogate(value)) {
    return 'must be valid Unicode (it contains a lone surrogate)';
  }
  return undefined;
}

/**
 * Returns why `value` is not valid text of `min` to `max` characters, or undefined. Line
 * breaks and tabs are allowed. NUL and other control characters are not, because PostgreSQL
 * cannot store NUL in text columns. An absent field (undefined) is reported as required.
 */
export function findTextProblem(value: unknown, min: number, max: number): string | undefined {
  if (value === undefined) {
    return 'is required';
  }
  if (typeof value !== 'string') {
    return 'must be a string';
  }
  if (value.length < min || value.length > max) {
    return `must be ${min} to ${max} characters long (got ${value.length})`;
  }
  if (hasControlCharacterOtherThanWhitespace(value)) {
    return 'must not contain control characters other than tab and line breaks';
  }
  if (hasLoneSurrogate(value)) {
    return 'must be valid Unicode (it contains a lone surrogate)';
  }
  return undefined;
}

/**
 * Returns why `value` is not a list of distinct texts: at most `maxItems` strings of
 * `minLength` to `maxLength` characters each. Only the most basic problem is returned, in
 * this order: not an array of strings, too many elements, an invalid element, a duplicate.
 */
export function findTextListProblem(
  value: unknown,
  maxItems: number,
  minLength: number,
  maxLength: number,
): string | undefined {
  if (value === undefined) {
    return 'is required';
  }
  if (!Array.isArray(value) || !value.every((element) => typeof element === 'string')) {
    return 'must be an array of strings';
  }
  if (value.length > maxItems) {
    return `must contain at most ${maxItems} elements (got ${value.length})`;
  }
  for (const [index, element] of value.entries()) {
    const problem = findTextProblem(element, minLength, maxLength);
    if (problem !== undefined) {
      return `element ${index} ${problem}`;
    }
  }
  const seen = new Set<string>();
  for (const element of value) {
    if (seen.has(element)) {
      return `must not contain duplicates (${JSON.stringify(element)} appears more than once)`;
    }
    seen.add(element);
  }
  return undefined;
}
