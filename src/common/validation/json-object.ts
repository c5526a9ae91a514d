import { hasLoneSurrogate } from './text-rules';

/** Maximum size of an `attributes` object, measured as its JSON text in UTF-8 bytes. */
export const MAX_ATTRIBUTES_BYTES = 16 * 1024;

/** Maximum nesting depth of an `attributes` object. */
export const MAX_ATTRIBUTES_DEPTH = 8;

/**
 * Problem of a request body that is absent. The JSON parser leaves the body undefined when
 * the request has no body or a content type other than JSON.
 */
export const MISSING_BODY_PROBLEM =
  'is missing; send a JSON body with Content-Type: application/json';

/**
 * Returns why `value` is not a JSON object, naming the type it has instead
 * (`must be a JSON object, not an array`), or undefined when it is an object.
 */
export function findObjectTypeProblem(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return undefined;
  }
  return `must be a JSON object, not ${describeJsonType(value)}`;
}

/** Names the JSON type of a value with its article: `an array`, `a string`, `null`. */
export function describeJsonType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Returns why `value` is not a valid attributes object, or undefined when it is one. It must
 * be a JSON object (not an array or null), at most {@link MAX_ATTRIBUTES_BYTES} bytes and
 * {@link MAX_ATTRIBUTES_DEPTH} levels deep, with no NUL character or lone surrogate in any
 * key or string, because PostgreSQL's jsonb rejects both.
 */
export function findAttributesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be a JSON object';
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    return `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON (got ${bytes})`;
  }
  return findNestedProblem(value, 1);
}

function findNestedProblem(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') {
    return findStringProblem(value);
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  if (depth > MAX_ATTRIBUTES_DEPTH) {
    return `must be nested at most ${MAX_ATTRIBUTES_DEPTH} levels deep`;
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? (value as unknown[]).map((child, index) => [String(index), child])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const problem = findStringProblem(key) ?? findNestedProblem(child, depth + 1);
    if (problem !== undefined) {
      return problem;
    }
  }
  return undefined;
}

function findStringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) {
    return 'must not contain the NUL character (\\u0000)';
  }
  if (hasLoneSurrogate(text)) {
    return 'must be valid Unicode (it contains a lone surrogate)';
  }
  return undefined;
}
