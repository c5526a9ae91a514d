/**
 * Opaque page cursors. A cursor is base64url-encoded JSON with the sort key of the last row
 * of a page. Clients pass it back unchanged to get the next page.
 */

const INTEGER = /^-?\d{1,19}$/;

/** Encodes the sort key of the last row returned. */
export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} whose key has `length` parts, each an
 * integer of at most 19 digits (a bigint id, or microseconds since 1970-01-01).
 * Returns undefined for anything else, including cursors edited by hand.
 */
export function decodeCursor(cursor: string, length: number): string[] | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return undefined;
  }
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(key) || key.length !== length) {
    return undefined;
  }
  const parts = key as unknown[];
  return parts.every((part) => typeof part === 'string' && INTEGER.test(part))
    ? (parts as string[])
    : undefined;
}
