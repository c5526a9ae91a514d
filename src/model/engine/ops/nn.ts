import { GraphNode } from '../graph';
import { GradientRule } from '../gradient-rule';
import { Dim, ShapeError, Tensor, formatShape, normalizeAxis } from '../tensor';
import { graphOf, int64Vector, requireDType, requireSameDType, sameShape, scalar } from './common';
import { add, cast, div, mul, sqrt, sub, where } from './elementwise';
import { reduceMean, sumToShape } from './reduce';

export interface LayerNormalizationOptions {
  /** First normalised axis; all axes from it to the last are normalised. Default -1. */
  axis?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  epsilon?: number;
}

/** LayerNormalization over the trailing axes, with learned `scale` and `bias`. */
export function layerNormalization(
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  options: LayerNormalizationOptions = {},
): Tensor {
  const axis = normalizeAxis('LayerNormalization', options.axis ?? -1, x.rank);
  requireDType('LayerNormalization', x, ['float32', 'float64']);
  requireSameDType('LayerNormalization', x, scale);
  requireSameDType('LayerNormalization', x, bias);
  const normalizedShape = x.shape.slice(axis);
  for (const parameter of [scale, bias]) {
    if (!sameShape(parameter.shape, normalizedShape)) {
      throw new ShapeError(
        `LayerNormalization: ${parameter.name} has shape ${formatShape(parameter.shape)}, ` +
          `expected ${formatShape(normalizedShape)} for input ${formatShape(x.shape)}`,
      );
    }
  }
  const statisticsShape: Dim[] = [...x.shape.slice(0, axis), ...normalizedShape.map(() => 1)];
  // ONNX Runtime 1.31 returns Mean and InvStdDev in float32 (stash_type 1) for every input
  // type, because its CPU provider has no kernel for stash_type 11 (float64).
  const statistics = { dtype: 'float32' as const, shape: statisticsShape };
  const [y] = graphOf(x).addNode(
    'LayerNormalization',
    [x, scale, bias],
    [{ dtype: x.dtype, shape: x.shape }, statistics, statistics],
    {
      axis: { type: 'int', value: axis },
      epsilon: { type: 'float', value: options.epsilon ?? 1e-5 },
      stash_type: { type: 'int', value: 1 },
    },
  );
  return y;
}

/**
 * dx = invStd * (g - mean(g) - xHat * mean(g * xHat)) with g = dy * scale, where the means run
 * over the normalised axes. Float32 graphs reuse the Mean and InvStdDev outputs of the forward
 * node; float64 graphs recompute them in float64 because those outputs are float32.
 */
const layerNormalizationRule: GradientRule = (node, [dy], required) => {
  const [x, scale, bias] = node.inputs as Tensor[];
  const attribute = node.attributes.axis;
  const axis = attribute?.type === 'int' ? attribute.value : x.rank - 1;
  const axes = [...Array(x.rank - axis).keys()].map((offset) => axis + offset);

  const { mean, invStdDev } = statistics(node, axes);
  const xHat = mul(sub(x, mean), invStdDev);
  const g = mul(dy!, scale);
  const gradX = required[0]
    ? mul(
        invStdDev,
        sub(sub(g, reduceMean(g, axes, true)), mul(xHat, reduceMean(mul(g, xHat), axes, true))),
      )
    : undefined;
  const gradScale = required[1] ? sumToShape(mul(dy!, xHat), scale.shape) : undefined;
  const gradBias = required[2] ? sumToShape(dy!, bias.shape) : undefined;
  return [gradX, gradScale, gradBias];
};

function statistics(node: GraphNode, axes: number[]): { mean: Tensor; invStdDev: Tensor } {
  const x = node.inputs[0] as Tensor;
  if (x.dtype === 'float32') {
    return { mean: node.outputs[1], invStdDev: node.outputs[2] };
  }
  const attribute = node.attributes.epsilon;
  const epsilon = attribute?.type === 'float' ? attribute.value : 1e-5;
  const mean = reduceMean(x, axes, true);
  const centered = sub(x, mean);
  const variance = reduceMean(mul(centered, centered), axes, true);
  return { mean, invStdDev: div(1, sqrt(add(variance, epsilon))) };
}

export type DropoutOptions = { ratio: number; seed: number } | { ratio: number; mask: Tensor };

/**
 * Inverted dropout: zeroes elements with probability `ratio` and scales the rest by
 * 1 / (1 - ratio). With `seed`, ONNX Runtime draws the mask from a generator seeded once per
 * session, so two sessions given the same runs draw the same masks. With `mask`, a bool tensor
 * (true = keep) supplied by the caller decides.
 *
 * NOTE: the node always runs in training mode, so an exported inference graph must be built
 * without dropout.
 */
export function dropout(x: Tensor, options: DropoutOptions): Tensor {
  requireDType('Dropout', x, ['float32', 'float64']);
  if (!(options.ratio >= 0 && options.ratio < 1)) {
    throw new ShapeError(`Dropout: ratio ${options.ratio} must be in [0, 1)`);
  }
  const keepScale = 1 / (1 - options.ratio);
  if ('mask' in options) {
    requireDType('Dropout', options.mask, ['bool']);
    return where(options.mask, mul(x, keepScale), 0);
  }
  const graph = graphOf(x);
  const ratio = scalar(graph, x.dtype, options.ratio);
  const trainingMode = graph.constant({ dtype: 'bool', shape: [], data: Uint8Array.of(1) });
  const [y] = graph.addNode(
    'Dropout',
    [x, ratio, trainingMode],
    [
      { dtype: x.dtype, shape: x.shape },
      { dtype: 'bool', shape: x.shape },
    ],
    { seed: { type: 'int', value: options.seed } },
  );
  return y;
}

const dropoutRule: GradientRule = (node, [dy]) => {
  const [x, ratioTensor] = node.inputs as Tensor[];
  const ratioValue = graphOf(x).producer(ratioTensor)?.attributes.value;
  const ratio = ratioValue?.type === 'tensor' ? Number(ratioValue.value.data[0]) : 0;
  const keep = cast(node.outputs[1], x.dtype);
  return [mul(dy!, mul(keep, 1 / (1 - ratio))), undefined, undefined];
};

export interface TopKResult {
  values: Tensor;
  indices: Tensor;
}

/** Selects the `k` largest (or smallest) entries along `axis`, sorted. It has no gradient rule. */
export function topK(
  x: Tensor,
  k: number,
  options: { axis?: number; largest?: boolean } = {},
): TopKResult {
  const axis = normalizeAxis('TopK', options.axis ?? -1, x.rank);
  const size = x.shape[axis];
  if (!Number.isInteger(k) || k < 1 || (typeof size === 'number' && k > size)) {
    throw new ShapeError(
      `TopK: k = ${k} is out of range for axis ${axis} of ${formatShape(x.shape)}`,
    );
  }
  const shape = [...x.shape];
  shape[axis] = k;
  const graph = graphOf(x);
  const [values, indices] = graph.addNode(
    'TopK',
    [x, int64Vector(graph, [k])],
    [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape },
    ],
    {
      axis: { type: 'int', value: axis },
      largest: { type: 'int', value: options.largest === false ? 0 : 1 },
      sorted: { type: 'int', value: 1 },
    },
  );
  return { values, indices };
}

export const nnGradients: Record<string, GradientRule> = {
  LayerNormalization: layerNormalizationRule,
  Dropout: dropoutRule,
};
