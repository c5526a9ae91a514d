import type { ValidationError } from 'class-validator';
import { flattenValidationErrors, indexOfPath, joinPath } from './validation-errors';

describe('flattenValidationErrors', () => {
  it('names nested batch fields with their index', () => {
    const errors: ValidationError[] = [
      {
        property: 'items',
        children: [
          {
            property: '3',
            children: [
              {
                property: 'title',
                value: '',
                constraints: { isText: 'title must be 1 to 512 characters long (got 0)' },
                children: [],
              },
            ],
          },
        ],
      },
    ];

    expect(flattenValidationErrors(errors)).toEqual([
      {
        field: 'items[3].title',
        value: '',
        problem: 'must be 1 to 512 characters long (got 0)',
        index: 3,
      },
    ]);
  });

  it('lists each constraint', () => {
    const errors: ValidationError[] = [
      {
        property: 'limit',
        value: 0,
        constraints: { min: 'limit must not be less than 1', isInt: 'limit must be an integer' },
      },
    ];

    expect(flattenValidationErrors(errors).map((d) => d.problem)).toEqual([
      'must not be less than 1',
      'must be an integer',
    ]);
  });

  it('describes unknown fields', () => {
    const errors: ValidationError[] = [
      { property: 'name', value: 'Ann', constraints: { whitelistValidation: 'x' } },
    ];

    expect(flattenValidationErrors(errors)[0].problem).toBe('is not an allowed field');
  });
});

describe('joinPath', () => {
  it('brackets indexes', () => {
    expect(joinPath('items', '0')).toBe('items[0]');
    expect(joinPath('', '2')).toBe('[2]');
  });

  it('dots properties', () => {
    expect(joinPath('items[0]', 'id')).toBe('items[0].id');
    expect(joinPath('', 'id')).toBe('id');
  });
});

describe('indexOfPath', () => {
  it('reads the first index', () => {
    expect(indexOfPath('items[12].categories[3]')).toBe(12);
  });

  it('is undefined without one', () => {
    expect(indexOfPath('title')).toBeUndefined();
  });
});
