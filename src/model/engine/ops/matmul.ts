import { GradientRule } from '../gradient-rule';
import { ShapeError, Tensor, broadcastShapes, formatShape } from '../tensor';
import { graphOf, requireDType, requireRank, requireSameDType } from './common';
import { sumToShape } from './reduce';
import { reshape, transposeLastTwo } from './shape';

/** Batched matrix product `a @ b` over the last two axes, broadcasting the leading axes. */
export function matMul(a: Tensor, b: Tensor): Tensor {
  requireRank('MatMul', a, 2);
  requireRank('MatMul', b, 2);
  requireSameDType('MatMul', a, b);
  requireDType('MatMul', a, ['float32', 'float64']);
  const [m, k] = a.shape.slice(-2);
  const [kB, n] = b.shape.slice(-2);
  if (k !== kB) {
    throw new ShapeError(
      `MatMul: inner dimensions differ for shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return graphOf(a).addNode('MatMul', [a, b], [{ dtype: a.dtype, shape: [...batch, m, n] }])[0];
}

/**
 * dA = dY @ B^T and dB = A^T @ dY, summed back over broadcast axes. When B is a matrix shared
 * by a batch of A, the batch is flattened into rows so that dB is one large MatMul instead of
 * a batched MatMul followed by a ReduceSum.
 */
const matMulRule: GradientRule = (node, [dy], required) => {
  const [a, b] = node.inputs as Tensor[];
  const gradA = required[0] ? sumToShape(matMul(dy!, transposeLastTwo(b)), a.shape) : undefined;
  if (!required[1]) {
    return [gradA, undefined];
  }
  if (b.rank === 2 && a.rank > 2) {
    const rowsA = reshape(a, [-1, a.shape[a.rank - 1]]);
    const rowsDy = reshape(dy!, [-1, dy!.shape[dy!.rank - 1]]);
    return [gradA, matMul(transposeLastTwo(rowsA), rowsDy)];
  }
  return [gradA, sumToShape(transposedProduct(a, dy!), b.shape)];
};

/**
 * Computes A^T @ dY. ONNX Runtime 1.31 fuses a Transpose of A into FusedMatMul, and its batched
 * kernel with a transposed A took 20 ms on [128, 4, 200, 200] attention probabilities where a
 * MatMul of the same size took 6 ms. So (dY^T @ A)^T is used when A is the larger operand.
 */
function transposedProduct(a: Tensor, dy: Tensor): Tensor {
  const sizeA = matrixSize(a);
  const sizeDy = matrixSize(dy);
  if (a.rank > 2 && sizeA !== undefined && sizeDy !== undefined && sizeA > sizeDy) {
    return transposeLastTwo(matMul(transposeLastTwo(dy), a));
  }
  return matMul(transposeLastTwo(a), dy);
}

function matrixSize(tensor: Tensor): number | undefined {
  const [rows, columns] = tensor.shape.slice(-2);
  return typeof rows === 'number' && typeof columns === 'number' ? rows * columns : undefined;
}

export const matMulGradients: Record<string, GradientRule> = { MatMul: matMulRule };
