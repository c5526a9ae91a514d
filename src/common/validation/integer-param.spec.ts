import { findIntegerProblem, parseIntegerParam } from './integer-param';

describe('parseIntegerParam', () => {
  it.each([
    ['1', 1],
    ['500', 500],
    ['+20', 20],
    ['007', 7],
  ])('converts %j', (text, number) => {
    expect(parseIntegerParam(text, 1, 500)).toBe(number);
  });

  it.each(['abc', '', ' 5', '1.5', '1e2', '0', '501', '-1', '9'.repeat(16)])(
    'keeps %j as sent',
    (text) => {
      expect(parseIntegerParam(text, 1, 500)).toBeUndefined();
    },
  );

  it('keeps repeated parameters as sent', () => {
    expect(parseIntegerParam(['1', '2'], 1, 500)).toBeUndefined();
  });
});

describe('findIntegerProblem', () => {
  it('accepts the bounds', () => {
    expect(findIntegerProblem(1, 1, 500)).toBeUndefined();
    expect(findIntegerProblem(500, 1, 500)).toBeUndefined();
  });

  it.each([0, 501, 1.5, 'abc', '20', NaN, null])('rejects %j', (value) => {
    expect(findIntegerProblem(value, 1, 500)).toBe('must be an integer between 1 and 500');
  });
});
