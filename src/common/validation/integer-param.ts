// Decimal digits with an optional sign; longer texts cannot be exact integers in a double.
const INTEGER_TEXT = /^[+-]?\d{1,15}$/;

/**
 * Converts query text such as `"20"` to a number when it is an integer from `min` to `max`.
 * Returns undefined for any other value, which the caller keeps as sent so that an error
 * shows the client's text (`"abc"`) rather than the NaN that `Number("abc")` gives.
 */
export function parseIntegerParam(value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) {
    return undefined;
  }
  const parsed = Number(value);
  return parsed >= min && parsed <= max ? parsed : undefined;
}

/** Returns why `value` is not an integer from `min` to `max`, or undefined when it is one. */
export function findIntegerProblem(value: unknown, min: number, max: number): string | undefined {
  const isValid = Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
  return isValid ? undefined : `must be an integer between ${min} and ${max}`;
}
