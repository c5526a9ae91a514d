import { GradientRule } from '../gradient-rule';
import {
  Dim,
  Shape,
  ShapeError,
  Tensor,
  formatShape,
  isStaticShape,
  normalizeAxis,
} from '../tensor';
import { graphOf, int64Vector, sameShape } from './common';
import { sumToShape } from './reduce';

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((axis, index) => axis !== index)) {
    throw new ShapeError(
      `Transpose: perm [${perm.join(', ')}] is not a permutation for shape ${formatShape(x.shape)}`,
    );
  }
  const shape = perm.map((axis) => x.shape[axis]);
  return graphOf(x).addNode('Transpose', [x], [{ dtype: x.dtype, shape }], {
    perm: { type: 'ints', value: perm },
  })[0];
}

/** Swaps the last two axes, the transpose used by MatMul gradients. */
export function transposeLastTwo(x: Tensor): Tensor {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/**
 * Reshapes `x`. The target may hold one -1 (inferred size) and named dims of `x`: a named dim
 * at the same position as in `x` is copied at run time, any other counts as the inferred size.
 */
export function reshape(x: Tensor, target: Shape): Tensor {
  const { onnxShape, shape } = resolveReshape(x.shape, target);
  const graph = graphOf(x);
  return graph.addNode(
    'Reshape',
    [x, int64Vector(graph, onnxShape)],
    [{ dtype: x.dtype, shape }],
  )[0];
}

function resolveReshape(input: Shape, target: Shape): { onnxShape: number[]; shape: Dim[] } {
  const fail = (reason: string): never => {
    throw new ShapeError(
      `Reshape: cannot reshape ${formatShape(input)} to ${formatShape(target)}: ${reason}`,
    );
  };
  const onnxShape = target.map((dim, index) => {
    if (typeof dim === 'number') {
      return dim;
    }
    if (!input.includes(dim)) {
      fail(`named dimension ${dim} is not in the input`);
    }
    return input[index] === dim ? 0 : -1;
  });
  if (onnxShape.filter((dim) => dim === -1).length > 1) {
    fail('at most one dimension can be inferred');
  }
  const known = factor(input);
  const wanted = factor(target.filter((dim) => dim !== -1));
  const inferredIndex = target.indexOf(-1);
  if (inferredIndex < 0) {
    if (known.product !== wanted.product || known.names.join('*') !== wanted.names.join('*')) {
      fail('element counts differ');
    }
    return { onnxShape, shape: [...target] };
  }
  return { onnxShape, shape: inferDim(target, inferredIndex, known, wanted, fail) };
}

interface Factors {
  product: number;
  names: string[];
}

function factor(shape: Shape): Factors {
  const names = shape.filter((dim): dim is string => typeof dim === 'string').sort();
  const product = shape.reduce<number>(
    (total, dim) => (typeof dim === 'number' ? total * dim : total),
    1,
  );
  return { product, names };
}

function inferDim(
  target: Shape,
  index: number,
  known: Factors,
  wanted: Factors,
  fail: (reason: string) => never,
): Dim[] {
  const remainingNames = [...known.names];
  for (const name of wanted.names) {
    const position = remainingNames.indexOf(name);
    if (position < 0) {
      fail(`named dimension ${name} is used twice`);
    }
    remainingNames.splice(position, 1);
  }
  if (wanted.product === 0 || known.product % wanted.product !== 0) {
    fail('element counts differ');
  }
  const ratio = known.product / wanted.product;
  const inferred: Dim =
    remainingNames.length === 0
      ? ratio
      : [...remainingNames, ...(ratio === 1 ? [] : [String(ratio)])].join('*');
  const shape = [...target];
  shape[index] = inferred;
  return shape;
}

/** Inserts size-1 axes at `axes`, given as positions in the output. */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const normalized = axes.map((axis) => normalizeAxis('Unsqueeze', axis, rank));
  const shape: Dim[] = [];
  let source = 0;
  for (let index = 0; index < rank; index++) {
    shape.push(normalized.includes(index) ? 1 : x.shape[source++]);
  }
  const graph = graphOf(x);
  return graph.addNode(
    'Unsqueeze',
    [x, int64Vector(graph, normalized)],
    [{ dtype: x.dtype, shape }],
  )[0];
}

/** Removes the size-1 axes listed in `axes`. */
export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const normalized = axes.map((axis) => normalizeAxis('Squeeze', axis, x.rank));
  for (const axis of normalized) {
    if (x.shape[axis] !== 1) {
      throw new ShapeError(`Squeeze: axis ${axis} of shape ${formatShape(x.shape)} is not 1`);
    }
  }
  const shape = x.shape.filter((_dim, index) => !normalized.includes(index));
  const graph = graphOf(x);
  return graph.addNode(
    'Squeeze',
    [x, int64Vector(graph, normalized)],
    [{ dtype: x.dtype, shape }],
  )[0];
}

export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) {
    throw new ShapeError('Concat: needs at least one input');
  }
  const first = tensors[0];
  const normalized = normalizeAxis('Concat', axis, first.rank);
  let size: Dim = 0;
  for (const tensor of tensors) {
    const matches =
      tensor.dtype === first.dtype &&
      tensor.rank === first.rank &&
      tensor.shape.every((dim, index) => index === normalized || dim === first.shape[index]);
    if (!matches) {
      throw new ShapeError(
        `Concat: shapes ${formatShape(first.shape)} and ${formatShape(tensor.shape)} differ off axis ${normalized}`,
      );
    }
    const dim = tensor.shape[normalized];
    size = typeof size === 'number' && typeof dim === 'number' ? size + dim : `${size}+${dim}`;
  }
  const shape = [...first.shape];
  shape[normalized] = size;
  return graphOf(first).addNode('Concat', tensors, [{ dtype: first.dtype, shape }], {
    axis: { type: 'int', value: normalized },
  })[0];
}

/**
 * Slices `x[starts:ends]` along `axes` with step 1. Bounds follow Python, so negative values
 * count from the end and out-of-range values are clamped. Sliced axes must have static sizes.
 *
 * NOTE: steps other than 1 are not supported, because the gradient rule pads with zeros.
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[] = [...starts.keys()],
): Tensor {
  if (starts.length !== axes.length || ends.length !== axes.length) {
    throw new ShapeError(
      `Slice: starts, ends and axes lengths differ for shape ${formatShape(x.shape)}`,
    );
  }
  const shape = [...x.shape];
  const normalizedAxes = axes.map((axis) => normalizeAxis('Slice', axis, x.rank));
  const bounds = normalizedAxes.map((axis, index) => {
    const dim = x.shape[axis];
    if (typeof dim !== 'number') {
      throw new ShapeError(`Slice: axis ${axis} of shape ${formatShape(x.shape)} is not static`);
    }
    const clamp = (value: number): number =>
      Math.min(Math.max(value < 0 ? value + dim : value, 0), dim);
    const start = clamp(starts[index]);
    const end = Math.max(clamp(ends[index]), start);
    shape[axis] = end - start;
    return [start, end];
  });
  const graph = graphOf(x);
  const sliceInputs = [
    x,
    int64Vector(
      graph,
      bounds.map(([start]) => start),
    ),
    int64Vector(
      graph,
      bounds.map(([, end]) => end),
    ),
    int64Vector(graph, normalizedAxes),
  ];
  return graph.addNode('Slice', sliceInputs, [{ dtype: x.dtype, shape }])[0];
}

/** Returns the run-time shape of `x` as a 1-D int64 tensor. */
export function shapeOf(x: Tensor): Tensor {
  return graphOf(x).addNode('Shape', [x], [{ dtype: 'int64', shape: [x.rank] }])[0];
}

/** Broadcasts `x` to the run-time shape `shape`, whose static form is `staticShape`. */
export function expand(x: Tensor, shape: Tensor, staticShape: Shape): Tensor {
  const outputShape = [...staticShape];
  if (!sameShape(outputShape, broadcastOrFail(x.shape, staticShape))) {
    throw new ShapeError(
      `Expand: shape ${formatShape(x.shape)} does not expand to ${formatShape(staticShape)}`,
    );
  }
  return graphOf(x).addNode('Expand', [x, shape], [{ dtype: x.dtype, shape: outputShape }])[0];
}

function broadcastOrFail(from: Shape, to: Shape): Shape {
  if (from.length > to.length) {
    return from;
  }
  return to.map((dim, index) => {
    const source = from[from.length - to.length + index] ?? 1;
    return source === 1 ? dim : source;
  });
}

/** Pads `x` with zeros; `pads` lists the begin counts of every axis, then the end counts. */
export function padZeros(x: Tensor, pads: readonly number[]): Tensor {
  const shape = x.shape.map((dim, axis) => {
    const extra = pads[axis] + pads[axis + x.rank];
    if (typeof dim === 'number') {
      return dim + extra;
    }
    return extra === 0 ? dim : `${dim}+${extra}`;
  });
  const graph = graphOf(x);
  return graph.addNode('Pad', [x, int64Vector(graph, pads)], [{ dtype: x.dtype, shape }])[0];
}

const transposeRule: GradientRule = (node, [dy]) => {
  const attribute = node.attributes.perm;
  const perm = attribute?.type === 'ints' ? attribute.value : [];
  const inverse = [...perm];
  perm.forEach((axis, index) => {
    inverse[axis] = index;
  });
  return [transpose(dy!, inverse)];
};

const reshapeRule: GradientRule = (node, [dy]) => {
  const x = node.inputs[0]!;
  const graph = graphOf(x);
  const target = isStaticShape(x.shape) ? int64Vector(graph, x.shape) : shapeOf(x);
  return [
    graph.addNode('Reshape', [dy!, target], [{ dtype: x.dtype, shape: x.shape }])[0],
    undefined,
  ];
};

const unsqueezeRule: GradientRule = (node, [dy]) => {
  const axes = readInt64Constant(node.inputs[1]!);
  return [squeeze(dy!, axes), undefined];
};

const squeezeRule: GradientRule = (node, [dy]) => {
  const axes = readInt64Constant(node.inputs[1]!);
  return [unsqueeze(dy!, axes), undefined];
};

const concatRule: GradientRule = (node, [dy], required) => {
  const attribute = node.attributes.axis;
  const axis = attribute?.type === 'int' ? attribute.value : 0;
  let offset = 0;
  return node.inputs.map((input, index) => {
    const size = input!.shape[axis];
    if (typeof size !== 'number') {
      throw new ShapeError(`Concat: gradient needs static sizes on axis ${axis}`);
    }
    const start = offset;
    offset += size;
    return required[index] ? slice(dy!, [start], [start + size], [axis]) : undefined;
  });
};

const sliceRule: GradientRule = (node, [dy]) => {
  const x = node.inputs[0]!;
  const starts = readInt64Constant(node.inputs[1]!);
  const ends = readInt64Constant(node.inputs[2]!);
  const axes = readInt64Constant(node.inputs[3]!);
  const pads = new Array<number>(2 * x.rank).fill(0);
  axes.forEach((axis, index) => {
    pads[axis] = starts[index];
    pads[axis + x.rank] = (x.shape[axis] as number) - ends[index];
  });
  return [padZeros(dy!, pads), undefined, undefined, undefined];
};

const expandRule: GradientRule = (node, [dy]) => [
  sumToShape(dy!, node.inputs[0]!.shape),
  undefined,
];

/** Reads a 1-D int64 Constant, such as the axes input of Unsqueeze. */
export function readInt64Constant(tensor: Tensor): number[] {
  const value = graphOf(tensor).producer(tensor)?.attributes.value;
  if (value?.type !== 'tensor' || value.value.dtype !== 'int64') {
    throw new Error(`${tensor.name}: expected an int64 Constant`);
  }
  return Array.from(value.value.data as BigInt64Array, Number);
}

export const shapeGradients: Record<string, GradientRule> = {
  Transpose: transposeRule,
  Reshape: reshapeRule,
  Unsqueeze: unsqueezeRule,
  Squeeze: squeezeRule,
  Concat: concatRule,
  Slice: sliceRule,
  Expand: expandRule,
};
