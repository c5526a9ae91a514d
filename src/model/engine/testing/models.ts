import { Graph } from '../graph';
import * as op from '../ops';
import { ParameterTensor } from '../session';
import { DType, FloatDType, Tensor } from '../tensor';

/** Declares parameters on a graph and keeps their initial values beside them. */
export class ParameterSet {
  readonly tensors: Tensor[] = [];
  readonly values: ParameterTensor[] = [];

  constructor(
    private readonly graph: Graph,
    private readonly dtype: FloatDType,
    private readonly normal: () => number,
  ) {}

  /** Adds a weight with normal entries scaled by 1 / sqrt(fan-in). */
  weight(name: string, shape: number[]): Tensor {
    const fanIn = shape[0];
    return this.add(name, shape, () => this.normal() / Math.sqrt(fanIn));
  }

  filled(name: string, shape: number[], value: number): Tensor {
    return this.add(name, shape, () => value);
  }

  private add(name: string, shape: number[], sample: () => number): Tensor {
    const tensor = this.graph.parameter(name, this.dtype, shape);
    const count = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: count }, sample);
    const data = this.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    this.tensors.push(tensor);
    this.values.push({ name, shape, data });
    return tensor;
  }
}

export interface TransformerBlockShape {
  batch: number;
  sequence: number;
  width: number;
  heads: number;
  /** Hidden width of the feed-forward network. */
  ffnWidth: number;
}

/**
 * Pre-LayerNorm transformer block with causal multi-head self-attention:
 * h = x + Attention(LN1(x)), y = h + FFN(LN2(h)) with FFN(z) = Gelu(z W1 + b1) W2 + b2.
 */
export function transformerBlock(
  x: Tensor,
  shape: TransformerBlockShape,
  parameters: ParameterSet,
): Tensor {
  const { width } = shape;
  const normalized1 = op.layerNormalization(
    x,
    parameters.filled('ln1_scale', [width], 1),
    parameters.filled('ln1_bias', [width], 0),
  );
  const h = op.add(x, selfAttention(normalized1, shape, parameters));

  const normalized2 = op.layerNormalization(
    h,
    parameters.filled('ln2_scale', [width], 1),
    parameters.filled('ln2_bias', [width], 0),
  );
  const hidden = op.gelu(
    op.add(
      op.matMul(normalized2, parameters.weight('ffn_w1', [width, shape.ffnWidth])),
      parameters.filled('ffn_b1', [shape.ffnWidth], 0),
    ),
  );
  const ffn = op.add(
    op.matMul(hidden, parameters.weight('ffn_w2', [shape.ffnWidth, width])),
    parameters.filled('ffn_b2', [width], 0),
  );
  return op.add(h, ffn);
}

function selfAttention(z: Tensor, shape: TransformerBlockShape, parameters: ParameterSet): Tensor {
  const { batch, sequence, width, heads } = shape;
  const headWidth = width / heads;
  const splitHeads = (t: Tensor): Tensor =>
    op.transpose(op.reshape(t, [batch, sequence, heads, headWidth]), [0, 2, 1, 3]);

  const q = splitHeads(op.matMul(z, parameters.weight('attn_wq', [width, width])));
  const k = splitHeads(op.matMul(z, parameters.weight('attn_wk', [width, width])));
  const v = splitHeads(op.matMul(z, parameters.weight('attn_wv', [width, width])));

  const scores = op.mul(op.matMul(q, op.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(headWidth));
  const probabilities = op.softmax(op.add(scores, causalMask(z.graph as Graph, z.dtype, sequence)));
  const context = op.transpose(op.matMul(probabilities, v), [0, 2, 1, 3]);
  const merged = op.reshape(context, [batch, sequence, width]);
  return op.matMul(merged, parameters.weight('attn_wo', [width, width]));
}

/** Additive mask: 0 where key position <= query position, -1e9 above the diagonal. */
function causalMask(graph: Graph, dtype: DType, sequence: number): Tensor {
  const values = Array.from({ length: sequence * sequence }, (_v, index) =>
    index % sequence > Math.floor(index / sequence) ? -1e9 : 0,
  );
  return op.constant(graph, dtype, [sequence, sequence], values);
}

/** Mean cross-entropy of `logits` [..., classes] against one-hot `targets` of the same shape. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const perExample = op.neg(op.reduceSum(op.mul(op.logSoftmax(logits), targets), [-1]));
  return op.reduceMean(perExample);
}
