import { Graph } from './graph';
import { GatherGradient } from './gradient-rule';
import { int64Vector, scalar } from './ops/common';
import { add, concat, gather, scatterNDAdd, shapeOf, squeeze, unsqueeze, zeros } from './ops';
import { ShapeError, Tensor, formatShape, isStaticShape } from './tensor';

/** Materialises Gather gradients as a dense scatter-add into `base` (zeros when undefined). */
export function scatterGatherGradients(
  table: Tensor,
  parts: readonly GatherGradient[],
  base?: Tensor,
): Tensor {
  const graph = table.graph as Graph;
  if (!isStaticShape(table.shape)) {
    throw new ShapeError(
      `Gather: table ${table.name} needs a static shape ${formatShape(table.shape)}`,
    );
  }
  let result = base ?? zeros(graph, table.dtype, table.shape);
  for (const part of parts) {
    result = scatterNDAdd(result, unsqueeze(part.indices, [-1]), part.outputGradient);
  }
  return result;
}

/**
 * Computes the rows `rows` of a table gradient without a dense [V, ...] float buffer.
 *
 * An int64 map of length V sends each listed row to its position in `rows` and every other row
 * to the extra position `rows.length`. Gather gradients are scatter-added through that map
 * into a buffer of `rows.length + 1` rows whose last row collects, and drops, indices that are
 * missing from `rows`. Dense contributions (other uses of the table) are gathered at `rows`.
 */
export function rowSparseGradient(
  table: Tensor,
  rows: Tensor,
  parts: readonly GatherGradient[],
  dense: Tensor | undefined,
): Tensor {
  const graph = table.graph as Graph;
  if (rows.dtype !== 'int64' || rows.rank !== 1) {
    throw new ShapeError(
      `row-sparse gradient: rows ${rows.name} must be 1-D int64, got ${rows.dtype}${formatShape(rows.shape)}`,
    );
  }
  const rowShape = table.shape.slice(1);
  const count = squeeze(shapeOf(rows), [0]);
  const positionOfRow = rowPositionMap(graph, table.shape[0] as number, rows, count);

  let buffer = zeroRows(graph, table, add(count, 1), `${String(rows.shape[0])}+1`);
  for (const part of parts) {
    const positions = gather(positionOfRow, part.indices);
    buffer = scatterNDAdd(buffer, unsqueeze(positions, [-1]), part.outputGradient);
  }
  const zero = int64Vector(graph, [0]);
  const listed = graph.addNode(
    'Slice',
    [buffer, zero, unsqueeze(count, [0]), zero],
    [{ dtype: table.dtype, shape: [rows.shape[0], ...rowShape] }],
  )[0];
  return dense === undefined ? listed : add(listed, gather(dense, rows));
}

/** Adds zeros of shape [rowCount, ...table.shape[1:]], with `rowCount` known at run time. */
function zeroRows(graph: Graph, table: Tensor, rowCount: Tensor, rowCountName: string): Tensor {
  const rowShape = table.shape.slice(1) as number[];
  const shape = concat([unsqueeze(rowCount, [0]), int64Vector(graph, rowShape)], 0);
  const zero = {
    dtype: table.dtype,
    shape: [1],
    data: table.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1),
  };
  return graph.addNode(
    'ConstantOfShape',
    [shape],
    [{ dtype: table.dtype, shape: [rowCountName, ...rowShape] }],
    { value: { type: 'tensor', value: zero } },
  )[0];
}

/** Builds an int64 [V] map: `rows[i]` maps to i, every other row maps to `count`. */
function rowPositionMap(graph: Graph, tableRows: number, rows: Tensor, count: Tensor): Tensor {
  const filled = graph.addNode(
    'Expand',
    [count, int64Vector(graph, [tableRows])],
    [{ dtype: 'int64', shape: [tableRows] }],
  )[0];
  const positions = graph.addNode(
    'Range',
    [scalar(graph, 'int64', 0), count, scalar(graph, 'int64', 1)],
    [{ dtype: 'int64', shape: [rows.shape[0]] }],
  )[0];
  return graph.addNode(
    'ScatterND',
    [filled, unsqueeze(rows, [-1]), positions],
    [{ dtype: 'int64', shape: [tableRows] }],
  )[0];
}
