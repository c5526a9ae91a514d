import { parseRetrainInterval } from './retrain-interval';

describe('parseRetrainInterval', () => {
  it.each([
    ['1m', 60_000],
    ['30m', 1_800_000],
    ['6h', 21_600_000],
    ['1d', 86_400_000],
    ['365d', 365 * 86_400_000],
  ])('parses %s', (text, milliseconds) => {
    expect(parseRetrainInterval(text)).toBe(milliseconds);
  });

  it.each(['', '6', 'h', '6 h', '1.5h', '-1h', '0m', '30s', '6H', '366d', '1w'])(
    'rejects %j',
    (text) => {
      expect(parseRetrainInterval(text)).toBeUndefined();
    },
  );
});
