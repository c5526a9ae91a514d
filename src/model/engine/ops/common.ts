import { Graph } from '../graph';
import { DType, Shape, ShapeError, Tensor, allocate, formatShape } from '../tensor';

/** Operand of an elementwise operator: a tensor, or a number taken in the other operand's dtype. */
export type Operand = Tensor | number;

export function graphOf(tensor: Tensor): Graph {
  return tensor.graph as Graph;
}

/** Adds a rank-0 Constant of `dtype` holding `value`. */
export function scalar(graph: Graph, dtype: DType, value: number): Tensor {
  const data = allocate(dtype, 1);
  if (data instanceof BigInt64Array) {
    data[0] = BigInt(value);
  } else {
    data[0] = value;
  }
  return graph.constant({ dtype, shape: [], data });
}

/** Adds a 1-D int64 Constant, the form ONNX takes for axes, shapes and slice bounds. */
export function int64Vector(graph: Graph, values: readonly number[]): Tensor {
  const data = BigInt64Array.from(values.map((value) => BigInt(value)));
  return graph.constant({ dtype: 'int64', shape: [values.length], data });
}

/** Turns a number operand into a scalar constant with the dtype of the other operand. */
export function toTensor(operand: Operand, like: Tensor): Tensor {
  return typeof operand === 'number' ? scalar(graphOf(like), like.dtype, operand) : operand;
}

export function requireSameDType(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new ShapeError(
      `${op}: dtypes differ, ${a.dtype}${formatShape(a.shape)} and ${b.dtype}${formatShape(b.shape)}`,
    );
  }
}

export function requireDType(op: string, tensor: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(tensor.dtype)) {
    throw new ShapeError(
      `${op}: input ${tensor.name} has dtype ${tensor.dtype}, expected one of ${allowed.join(', ')}`,
    );
  }
}

export function requireRank(op: string, tensor: Tensor, minimum: number): void {
  if (tensor.rank < minimum) {
    throw new ShapeError(
      `${op}: input ${tensor.name} has shape ${formatShape(tensor.shape)}, expected rank >= ${minimum}`,
    );
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, index) => dim === b[index]);
}
