/** Element types the engine supports, named as ONNX names them in lower case. */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';

/** A dimension: a static size, or a named symbolic size such as `'batch'`. */
export type Dim = number | string;

export type Shape = readonly Dim[];

export type FloatDType = 'float32' | 'float64';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** Error raised when an operator receives operands of incompatible shapes or dtypes. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/**
 * Symbolic tensor: a named value in a graph with a static dtype and shape.
 * Operators create tensors; only `Graph` constructs them.
 */
export class Tensor {
  constructor(
    readonly graph: { readonly name: string },
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function isStaticShape(shape: Shape): shape is readonly number[] {
  return shape.every((dim) => typeof dim === 'number');
}

/** Returns the number of elements of a static shape; throws for a shape with named dims. */
export function elementCount(shape: Shape): number {
  if (!isStaticShape(shape)) {
    throw new ShapeError(`shape ${formatShape(shape)} has named dimensions and no static size`);
  }
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Normalises a possibly negative axis and checks that it lies within `rank`. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(normalized) || normalized < 0 || normalized >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return normalized;
}

/**
 * Computes the numpy-style broadcast of two shapes. Equal numbers and equal names match,
 * and a size of 1 stretches to the other size.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const result: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dimA = a[a.length - rank + i] ?? 1;
    const dimB = b[b.length - rank + i] ?? 1;
    if (dimA === dimB || dimB === 1) {
      result.push(dimA);
    } else if (dimA === 1) {
      result.push(dimB);
    } else {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`,
      );
    }
  }
  return result;
}

export function allocate(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'bool':
      return new Uint8Array(length);
  }
}
