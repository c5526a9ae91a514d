import { Transform } from 'class-transformer';
import {
  registerDecorator,
  ValidateIf,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { findIntegerProblem, parseIntegerParam } from './integer-param';
import { parseIsoTimestamp } from './iso-timestamp';
import { findAttributesProblem } from './json-object';
import { findIdProblem, findTextListProblem, findTextProblem } from './text-rules';

/** Maximum number of elements in one batch request (items or interaction events). */
export const MAX_BATCH_SIZE = 1000;

/** Constraint name of {@link MaxBatchSize}; the validation pipe turns it into BATCH_TOO_LARGE. */
export const MAX_BATCH_SIZE_CONSTRAINT = 'maxBatchSize';

type ProblemFinder = (value: unknown, args: ValidationArguments) => string | undefined;

/** Registers a property decorator from a function that returns why a value is invalid. */
function ruleDecorator(
  name: string,
  findProblem: ProblemFinder,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          findProblem(value, args) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${findProblem(args.value, args) ?? 'is invalid'}`,
      },
    });
  };
}

/** A user, item or event id: 1 to 128 characters, no control characters. */
export function IsExternalId(options?: ValidationOptions): PropertyDecorator {
  return ruleDecorator('isExternalId', findIdProblem, options);
}

/** Text of `min` to `max` characters without NUL or other control characters. */
export function IsText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ruleDecorator('isText', (value) => findTextProblem(value, min, max), options);
}

/**
 * An array of at most `maxItems` distinct texts of `minLength` to `maxLength` characters.
 * A single rule checks all of it, so that a request gets only the most basic problem (for a
 * string, "must be an array of strings" rather than a complaint about duplicates).
 */
export function IsTextList(
  maxItems: number,
  minLength: number,
  maxLength: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ruleDecorator(
    'isTextList',
    (value) => findTextListProblem(value, maxItems, minLength, maxLength),
    options,
  );
}

/**
 * A query parameter that contains an integer from `min` to `max`. The text is converted to a
 * number only when it is valid, so an error shows the value as sent (`"abc"`).
 */
export function IsIntegerParam(min: number, max: number): PropertyDecorator {
  const convert = Transform(({ value }: { value: unknown }) => {
    return parseIntegerParam(value, min, max) ?? value;
  });
  const check = ruleDecorator('isIntegerParam', (value) => findIntegerProblem(value, min, max));
  return (target: object, propertyName: string | symbol) => {
    convert(target, propertyName);
    check(target, propertyName);
  };
}

/**
 * Applies class-validator rules so that they run in the order listed. The validation pipe
 * reports only the first failed rule of a property, and TypeScript applies stacked
 * decorators bottom-up, so a plain stack would run the last-written rule first.
 */
export function ValidateInOrder(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    for (const rule of rules) {
      rule(target, propertyName);
    }
  };
}

/** An ISO-8601 timestamp with a time zone, e.g. `2025-01-31T12:00:00Z`. */
export function IsIsoTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ruleDecorator(
    'isIsoTimestamp',
    (value) =>
      typeof value === 'string' && parseIsoTimestamp(value) !== undefined
        ? undefined
        : 'must be an ISO-8601 timestamp with a time zone, e.g. 2025-01-31T12:00:00Z',
    options,
  );
}

/** A JSON object of free-form attributes within the size limits. */
export function IsAttributes(options?: ValidationOptions): PropertyDecorator {
  return ruleDecorator('isAttributes', findAttributesProblem, options);
}

/**
 * An array of at most {@link MAX_BATCH_SIZE} elements. Unlike `@ArrayMaxSize`, a violation
 * is reported as BATCH_TOO_LARGE (413), so clients know to split the batch.
 */
export function MaxBatchSize(): PropertyDecorator {
  return ruleDecorator(MAX_BATCH_SIZE_CONSTRAINT, (value) =>
    Array.isArray(value) && value.length > MAX_BATCH_SIZE
      ? `must contain at most ${MAX_BATCH_SIZE} elements`
      : undefined,
  );
}

/**
 * Skips the other rules when the field is absent, but validates `null` like any other value
 * (so `"title": null` is rejected). `@IsOptional()` would let `null` through to a NOT NULL
 * column.
 */
export function IsOptionalNotNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}
