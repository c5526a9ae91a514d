import { LineParseError } from '../types';
import { parseItemMappingLine, parseSequentialLine, sequenceToEvents } from './sequential';

describe('sequential line parsers', () => {
  it('splits a line into item ids in order', () => {
    expect(parseSequentialLine('3 1  2\t10 ')).toEqual(['3', '1', '2', '10']);
  });

  it('reads a blank line as a user without items', () => {
    expect(parseSequentialLine('   ')).toEqual([]);
  });

  it('names the position of a bad item id', () => {
    expect(() => parseSequentialLine('1 2 x3')).toThrow(
      new LineParseError('position 2: item id "x3" is not a non-negative integer'),
    );
  });

  it('gives events increasing times and positional ids', () => {
    const start = new Date('2000-01-01T00:00:00Z');

    const events = sequenceToEvents('7', ['5', '9', '5'], 'view', start);

    expect(events.map((event) => event.eventId)).toEqual(['seq:7:0', 'seq:7:1', 'seq:7:2']);
    expect(events.map((event) => event.occurredAt.toISOString())).toEqual([
      '2000-01-01T00:00:00.000Z',
      '2000-01-01T00:00:01.000Z',
      '2000-01-01T00:00:02.000Z',
    ]);
    expect(events.every((event) => event.userId === '7' && event.value === null)).toBe(true);
  });

  it('parses an item mapping line', () => {
    expect(parseItemMappingLine('1 1198')).toEqual({ itemId: '1', movieLensId: '1198' });
    expect(() => parseItemMappingLine('1')).toThrow(LineParseError);
  });
});
