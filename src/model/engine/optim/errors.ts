/** Failure categories, so that a trainer can react to a code instead of parsing messages. */
export type OptimizerErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_PARAMETER'
  | 'UNKNOWN_PARAMETER'
  | 'INVALID_GRADIENT'
  | 'NON_FINITE_GRADIENT'
  | 'INVALID_STATE';

/** Error raised by the optimizer and the learning-rate schedules before any state changes. */
export class OptimizerError extends Error {
  override readonly name = 'OptimizerError';

  constructor(
    readonly code: OptimizerErrorCode,
    message: string,
    /** Name of the parameter concerned, when there is one. */
    readonly parameter?: string,
    /** Name of the rejected option, for INVALID_OPTION errors of one option. */
    readonly option?: string,
  ) {
    super(message);
  }
}

/** Throws INVALID_OPTION unless `value` is a finite number in the given range. */
export function validateOptionRange(
  option: string,
  value: number,
  range: { min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean },
): void {
  const aboveMin = range.minExclusive === true ? value > range.min : value >= range.min;
  const belowMax = range.maxExclusive === true ? value < range.max : value <= range.max;
  if (Number.isFinite(value) && aboveMin && belowMax) {
    return;
  }
  const open = range.minExclusive === true ? '(' : '[';
  const close = range.maxExclusive === true ? ')' : ']';
  throw new OptimizerError(
    'INVALID_OPTION',
    `invalid ${option}: ${value}; expected a finite number in ${open}${range.min}, ${range.max}${close}`,
    undefined,
    option,
  );
}

/** Throws INVALID_OPTION unless `value` is a safe integer in [min, max]. */
export function validateIntegerOption(
  option: string,
  value: number,
  min: number,
  max: number,
): void {
  if (Number.isSafeInteger(value) && value >= min && value <= max) {
    return;
  }
  throw new OptimizerError(
    'INVALID_OPTION',
    `invalid ${option}: ${value}; expected an integer in [${min}, ${max}]`,
    undefined,
    option,
  );
}
