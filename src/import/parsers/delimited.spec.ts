import { LineParseError } from '../types';
import { splitDelimitedLine } from './delimited';

describe('splitDelimitedLine', () => {
  it.each([
    ['a,b,c', ',', ['a', 'b', 'c']],
    ['a,,c,', ',', ['a', '', 'c', '']],
    ['"x, y",2', ',', ['x, y', '2']],
    ['"say ""hi""",2', ',', ['say "hi"', '2']],
    ['""', ',', ['']],
    ['a\tb', '\t', ['a', 'b']],
    ['a;"b;c"', ';', ['a', 'b;c']],
  ])('splits %j', (line, delimiter, fields) => {
    expect(splitDelimitedLine(line, delimiter)).toEqual(fields);
  });

  it('rejects an unclosed quote', () => {
    expect(() => splitDelimitedLine('a,"b', ',')).toThrow(
      new LineParseError('quoted field starting at column 3 is not closed'),
    );
  });

  it('rejects text after a closing quote', () => {
    expect(() => splitDelimitedLine('"a"b,c', ',')).toThrow(LineParseError);
  });
});
