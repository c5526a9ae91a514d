import { Graph } from '../graph';
import { GradientRule } from '../gradient-rule';
import {
  DType,
  ShapeError,
  Tensor,
  TensorData,
  allocate,
  formatShape,
  isStaticShape,
  normalizeAxis,
} from '../tensor';
import { graphOf, int64Vector, requireDType } from './common';

/** Adds a Constant with the given values; `values` may be a typed array or numbers. */
export function constant(
  graph: Graph,
  dtype: DType,
  shape: readonly number[],
  values: TensorData | readonly number[],
): Tensor {
  let data: TensorData;
  if (Array.isArray(values)) {
    data = allocate(dtype, values.length);
    values.forEach((value: number, index) => {
      data[index] = data instanceof BigInt64Array ? BigInt(value) : value;
    });
  } else {
    data = values as TensorData;
  }
  return graph.constant({ dtype, shape, data });
}

/** Gathers entries of `table` along `axis` (embedding lookup for axis 0). */
export function gather(table: Tensor, indices: Tensor, axis = 0): Tensor {
  requireDType('Gather', indices, ['int64']);
  const normalized = normalizeAxis('Gather', axis, table.rank);
  const shape = [
    ...table.shape.slice(0, normalized),
    ...indices.shape,
    ...table.shape.slice(normalized + 1),
  ];
  return graphOf(table).addNode('Gather', [table, indices], [{ dtype: table.dtype, shape }], {
    axis: { type: 'int', value: normalized },
  })[0];
}

/** Adds a tensor of zeros with the static shape `shape`. */
export function zeros(graph: Graph, dtype: DType, shape: readonly number[]): Tensor {
  if (!isStaticShape(shape)) {
    throw new ShapeError(`ConstantOfShape: shape ${formatShape(shape)} must be static`);
  }
  const value = { dtype, shape: [1], data: allocate(dtype, 1) };
  return graph.addNode('ConstantOfShape', [int64Vector(graph, shape)], [{ dtype, shape }], {
    value: { type: 'tensor', value },
  })[0];
}

/** Adds `updates` into `data` at `indices` (ScatterND with reduction "add"). */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  requireDType('ScatterND', indices, ['int64']);
  return graphOf(data).addNode(
    'ScatterND',
    [data, indices, updates],
    [{ dtype: data.dtype, shape: data.shape }],
    {
      reduction: { type: 'string', value: 'add' },
    },
  )[0];
}

const gatherRule: GradientRule = (node, [dy]) => {
  const [table, indices] = node.inputs as Tensor[];
  const attribute = node.attributes.axis;
  if (attribute?.type === 'int' && attribute.value !== 0) {
    throw new ShapeError(
      `Gather: gradient is implemented for axis 0 only, got axis ${attribute.value}`,
    );
  }
  return [{ kind: 'gather', table, indices, outputGradient: dy! }, undefined];
};

export const indexingGradients: Record<string, GradientRule> = {
  Gather: gatherRule,
};
