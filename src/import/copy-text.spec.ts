import { copyRow, copyText, copyTextArray } from './copy-text';

describe('COPY text encoding', () => {
  it('leaves plain text unchanged', () => {
    expect(copyText('Toy Story (1995)')).toBe('Toy Story (1995)');
  });

  it('escapes backslash, tab and line breaks', () => {
    expect(copyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });

  it('quotes array elements and escapes them twice', () => {
    expect(copyTextArray(['Action', 'Say "hi"', 'back\\slash'])).toBe(
      '{"Action","Say \\\\"hi\\\\"","back\\\\\\\\slash"}',
    );
    expect(copyTextArray([])).toBe('{}');
  });

  it('joins columns with tabs and ends the row', () => {
    expect(copyRow(['1', '\\N'])).toBe('1\t\\N\n');
  });
});
