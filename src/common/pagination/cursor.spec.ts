import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips a key', () => {
    const cursor = encodeCursor(['1738324800123456', '42']);

    expect(decodeCursor(cursor, 2)).toEqual(['1738324800123456', '42']);
  });

  it('is URL-safe', () => {
    expect(encodeCursor(['99999999999999999'])).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('rejects a wrong part count', () => {
    expect(decodeCursor(encodeCursor(['1', '2']), 1)).toBeUndefined();
  });

  it('rejects non-integer parts', () => {
    expect(decodeCursor(encodeCursor(['1; DROP TABLE users']), 1)).toBeUndefined();
  });

  it('rejects parts over 19 digits', () => {
    expect(decodeCursor(encodeCursor(['1'.repeat(20)]), 1)).toBeUndefined();
  });

  it('rejects non-string parts', () => {
    const cursor = Buffer.from(JSON.stringify([1])).toString('base64url');

    expect(decodeCursor(cursor, 1)).toBeUndefined();
  });

  it('rejects text that is not base64url JSON', () => {
    expect(decodeCursor('not a cursor', 1)).toBeUndefined();
    expect(decodeCursor('abc', 1)).toBeUndefined();
    expect(decodeCursor('', 1)).toBeUndefined();
  });
});
