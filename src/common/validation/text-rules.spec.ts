import {
  findIdProblem,
  findTextListProblem,
  findTextProblem,
  hasLoneSurrogate,
} from './text-rules';

describe('findIdProblem', () => {
  it.each(['a', 'user-42', 'ünï cödé', '用户', '😀', 'x'.repeat(128)])('accepts %j', (id) => {
    expect(findIdProblem(id)).toBeUndefined();
  });

  it.each([
    [undefined, 'is required'],
    [42, 'must be a string'],
    [null, 'must be a string'],
    ['', 'must not be empty'],
    ['x'.repeat(129), 'must be at most 128 characters long (got 129)'],
    ['a\u0000b', 'must not contain control characters'],
    ['a\nb', 'must not contain control characters'],
    ['a\u007fb', 'must not contain control characters'],
    ['a\u0085b', 'must not contain control characters'],
    ['a\ud800b', 'must be valid Unicode (it contains a lone surrogate)'],
  ])('rejects %j', (id, problem) => {
    expect(findIdProblem(id)).toBe(problem);
  });
});

describe('findTextProblem', () => {
  it('accepts tabs and line breaks', () => {
    expect(findTextProblem('line one\nline two\tend\r\n', 1, 100)).toBeUndefined();
  });

  it('rejects NUL', () => {
    expect(findTextProblem('a\u0000', 1, 100)).toContain('control characters');
  });

  it('requires a value', () => {
    expect(findTextProblem(undefined, 1, 100)).toBe('is required');
  });

  it('rejects null as a non-string', () => {
    expect(findTextProblem(null, 1, 100)).toBe('must be a string');
  });

  it('names the length', () => {
    expect(findTextProblem('', 1, 5)).toBe('must be 1 to 5 characters long (got 0)');
  });
});

describe('findTextListProblem', () => {
  it('accepts distinct texts', () => {
    expect(findTextListProblem(['a', 'b'], 3, 1, 5)).toBeUndefined();
  });

  it('accepts an empty array', () => {
    expect(findTextListProblem([], 3, 1, 5)).toBeUndefined();
  });

  it.each([
    [undefined, 'is required'],
    ['a', 'must be an array of strings'],
    [['a', 1], 'must be an array of strings'],
    [['a', 'a', 'b', 'c'], 'must contain at most 3 elements (got 4)'],
    [['a', 'toolong'], 'element 1 must be 1 to 5 characters long (got 7)'],
    [['a', 'b', 'a'], 'must not contain duplicates ("a" appears more than once)'],
  ])('rejects %j', (value, problem) => {
    expect(findTextListProblem(value, 3, 1, 5)).toBe(problem);
  });

  it('checks the type before uniqueness', () => {
    expect(findTextListProblem(['a', 'a', 2], 3, 1, 5)).toBe('must be an array of strings');
  });

  it('checks the size before uniqueness', () => {
    expect(findTextListProblem(['a', 'a', 'a', 'a'], 3, 1, 5)).toBe(
      'must contain at most 3 elements (got 4)',
    );
  });
});

describe('hasLoneSurrogate', () => {
  it('accepts surrogate pairs', () => {
    expect(hasLoneSurrogate('😀')).toBe(false);
  });

  it('finds a lone high surrogate', () => {
    expect(hasLoneSurrogate('\ud83d')).toBe(true);
  });

  it('finds a lone low surrogate', () => {
    expect(hasLoneSurrogate('a\ude00')).toBe(true);
  });
});
