import { OptimizerError } from './errors';

export type FloatArray = Float32Array | Float64Array;

/**
 * Gradient of one parameter. A `rows` gradient lists unique row indices into dimension 0 and
 * stores their gradient rows in `values`, row-major, `rows.length * rowSize` numbers, where
 * rowSize is the product of the other dimensions. Rows not listed have a zero gradient.
 */
export type Gradient =
  { kind: 'dense'; values: FloatArray } | { kind: 'rows'; rows: Int32Array; values: FloatArray };

/** Geometry of a parameter as the gradient checks need it. */
export interface ParameterLayout {
  name: string;
  length: number;
  rowCount: number;
  rowSize: number;
}

/**
 * Throws INVALID_GRADIENT unless the gradient matches the layout: a dense gradient has the
 * parameter's length, and a rows gradient has unique in-range rows and rows.length * rowSize
 * values. `rowMarks` is scratch space of rowCount entries, and `markValue` must differ from
 * every value stored in it before the call.
 */
export function validateGradientShape(
  layout: ParameterLayout,
  gradient: Gradient,
  rowMarks: () => Uint32Array,
  markValue: number,
): void {
  switch (gradient.kind) {
    case 'dense':
      if (gradient.values.length !== layout.length) {
        throwInvalid(
          layout,
          `dense gradient has ${gradient.values.length} values, expected ${layout.length}`,
        );
      }
      return;
    case 'rows':
      validateRowsGradient(layout, gradient.rows, gradient.values, rowMarks(), markValue);
      return;
    default:
      return throwUnknownKind(layout, gradient);
  }
}

function validateRowsGradient(
  layout: ParameterLayout,
  rows: Int32Array,
  values: FloatArray,
  marks: Uint32Array,
  markValue: number,
): void {
  if (!(rows instanceof Int32Array)) {
    throwInvalid(layout, 'rows gradient needs its row indices in an Int32Array');
  }
  const expectedLength = rows.length * layout.rowSize;
  if (values.length !== expectedLength) {
    throwInvalid(
      layout,
      `rows gradient has ${values.length} values, expected ${rows.length} rows x ${layout.rowSize} = ${expectedLength}`,
    );
  }
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    if (row < 0 || row >= layout.rowCount) {
      throwInvalid(layout, `row index ${row} at position ${k} is outside [0, ${layout.rowCount})`);
    }
    if (marks[row] === markValue) {
      throwInvalid(layout, `row index ${row} is listed more than once; rows must be unique`);
    }
    marks[row] = markValue;
  }
}

/**
 * Returns the sum of squares of `values` in float64. Throws NON_FINITE_GRADIENT, naming the
 * parameter and the first bad index, when any value is NaN or infinite.
 */
export function sumOfSquares(name: string, values: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] * values[i];
  }
  if (Number.isFinite(sum)) {
    return sum;
  }
  const index = values.findIndex((value) => !Number.isFinite(value));
  if (index < 0) {
    // Every value is finite but the squares overflow float64 (magnitudes above about 1e154).
    throw new OptimizerError(
      'NON_FINITE_GRADIENT',
      `gradient of ${name} overflows: its squared L2 norm exceeds the float64 range`,
      name,
    );
  }
  throw new OptimizerError(
    'NON_FINITE_GRADIENT',
    `gradient of ${name} contains ${values[index]} at index ${index}`,
    name,
  );
}

function throwInvalid(layout: ParameterLayout, detail: string): never {
  throw new OptimizerError(
    'INVALID_GRADIENT',
    `invalid gradient for ${layout.name}: ${detail}`,
    layout.name,
  );
}

function throwUnknownKind(layout: ParameterLayout, gradient: never): never {
  const kind = (gradient as { kind: unknown }).kind;
  return throwInvalid(layout, `unknown kind ${String(kind)}; expected 'dense' or 'rows'`);
}
