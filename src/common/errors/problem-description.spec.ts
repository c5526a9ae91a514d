import { describeProblems, previewValue } from './problem-description';

describe('describeProblems', () => {
  it('names the field and the value', () => {
    const message = describeProblems([{ field: 'userId', value: 42, problem: 'must be a string' }]);

    expect(message).toBe('userId must be a string (value: 42)');
  });

  it('counts the other problems', () => {
    const message = describeProblems([
      { field: '[0].type', value: 'x', problem: 'is invalid' },
      { field: '[1].type', value: 'y', problem: 'is invalid' },
      { field: '[2].type', value: 'z', problem: 'is invalid' },
    ]);

    expect(message).toBe('[0].type is invalid (value: "x"), and 2 more problems (see details)');
  });

  it('omits a missing value', () => {
    expect(describeProblems([{ field: 'title', problem: 'is required' }])).toBe(
      'title is required',
    );
  });
});

describe('previewValue', () => {
  it('cuts long strings', () => {
    const preview = previewValue('x'.repeat(1000)) as string;

    expect(preview).toHaveLength(201);
    expect(preview.endsWith('…')).toBe(true);
  });

  it('keeps short values', () => {
    expect(previewValue({ a: 1 })).toEqual({ a: 1 });
    expect(previewValue(null)).toBeNull();
  });
});
