import {
  describeJsonType,
  findAttributesProblem,
  findObjectTypeProblem,
  MAX_ATTRIBUTES_BYTES,
} from './json-object';

describe('findAttributesProblem', () => {
  it('accepts a nested object', () => {
    expect(findAttributesProblem({ a: 1, b: { c: ['x', null, true] } })).toBeUndefined();
  });

  it.each([[[]], [null], ['text'], [3]])('rejects %j', (value) => {
    expect(findAttributesProblem(value)).toBe('must be a JSON object');
  });

  it('rejects objects over the size limit', () => {
    const problem = findAttributesProblem({ blob: 'x'.repeat(MAX_ATTRIBUTES_BYTES) });

    expect(problem).toContain(`at most ${MAX_ATTRIBUTES_BYTES} bytes`);
  });

  it('counts bytes, not characters', () => {
    const problem = findAttributesProblem({ blob: 'ü'.repeat(MAX_ATTRIBUTES_BYTES / 2) });

    expect(problem).toContain('bytes');
  });

  it('rejects deep nesting', () => {
    let value: Record<string, unknown> = {};
    for (let i = 0; i < 9; i += 1) {
      value = { child: value };
    }

    expect(findAttributesProblem(value)).toContain('levels deep');
  });

  it('rejects NUL in a nested string', () => {
    expect(findAttributesProblem({ a: ['ok', 'a\u0000'] })).toContain('NUL');
  });

  it('rejects NUL in a key', () => {
    expect(findAttributesProblem({ 'a\u0000': 1 })).toContain('NUL');
  });

  it('rejects a lone surrogate', () => {
    expect(findAttributesProblem({ a: '\udc00' })).toContain('lone surrogate');
  });
});

describe('findObjectTypeProblem', () => {
  it('accepts an object', () => {
    expect(findObjectTypeProblem({ items: [] })).toBeUndefined();
  });

  it.each([
    [[], 'must be a JSON object, not an array'],
    [3, 'must be a JSON object, not a number'],
    ['text', 'must be a JSON object, not a string'],
    [true, 'must be a JSON object, not a boolean'],
    [null, 'must be a JSON object, not null'],
  ])('rejects %j', (value, problem) => {
    expect(findObjectTypeProblem(value)).toBe(problem);
  });
});

describe('describeJsonType', () => {
  it('names an object', () => {
    expect(describeJsonType({})).toBe('an object');
  });
});
