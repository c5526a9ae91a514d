import { Graph } from '../engine/graph';
import * as op from '../engine/ops';
import { Tensor } from '../engine/tensor';
import { ParameterRegistry } from './parameters';

/**
 * Large finite negative number added to masked attention scores. ONNX Runtime's Softmax
 * returns NaN for a row that is entirely -Infinity, while exp(-1e9 - max) underflows to
 * exactly 0 next to any allowed score, so masked keys still get zero weight.
 */
export const MASKED_SCORE = -1e9;

/**
 * Added to the logit of an item earlier in a target's window (`maskHistoryItems`). exp(-1000)
 * is 0 in float32, so such an item gets no softmax weight unless it scores 900 above the best
 * other item. Unlike MASKED_SCORE, the offset logit keeps a precision of 1e-4, which the
 * row-mean form of the log-normalizer needs for an exact loss value.
 */
export const HISTORY_ITEM_OFFSET = -1000;

/** State shared by the layers of one graph: parameters and dropout. */
export interface LayerContext {
  registry: ParameterRegistry;
  /** Dropout ratio; 0 adds no Dropout nodes (inference and deterministic tests). */
  dropout: number;
  /** Dropout ratio of the Q-Former blocks. Absent or 0 adds no Dropout nodes there. */
  qformerDropout?: number;
  /** Seed of the next Dropout node; each node gets its own. */
  nextDropoutSeed: () => number;
}

export function applyDropout(context: LayerContext, x: Tensor): Tensor {
  if (context.dropout === 0) {
    return x;
  }
  return op.dropout(x, { ratio: context.dropout, seed: context.nextDropoutSeed() });
}

/** Affine map over the last axis: `x @ weight + bias`, weight of shape [in, out]. */
export function linear(context: LayerContext, name: string, x: Tensor, outDim: number): Tensor {
  const inDim = x.shape[x.rank - 1] as number;
  const weight = context.registry.create(`${name}.weight`, [inDim, outDim], { kind: 'xavier' });
  const bias = context.registry.create(`${name}.bias`, [outDim], { kind: 'zeros' });
  return op.add(op.matMul(x, weight), bias);
}

export function layerNorm(context: LayerContext, name: string, x: Tensor): Tensor {
  const dim = x.shape[x.rank - 1] as number;
  const scale = context.registry.create(`${name}.scale`, [dim], { kind: 'ones' });
  const bias = context.registry.create(`${name}.bias`, [dim], { kind: 'zeros' });
  return op.layerNormalization(x, scale, bias);
}

/**
 * Two-layer feed-forward network with GELU, as in the Transformer blocks. When `gated`, the
 * hidden layer is GEGLU, the GELU of one projection times a second projection of the input.
 */
export function feedForward(
  context: LayerContext,
  name: string,
  x: Tensor,
  hiddenDim: number,
  gated = false,
): Tensor {
  const dim = x.shape[x.rank - 1] as number;
  let hidden = op.gelu(linear(context, `${name}.in`, x, hiddenDim));
  if (gated) {
    hidden = op.mul(hidden, linear(context, `${name}.gate`, x, hiddenDim));
  }
  return linear(context, `${name}.out`, applyDropout(context, hidden), dim);
}

export interface AttentionResult {
  output: Tensor;
  /** Attention weights [..., heads, queries, keys], after Softmax. */
  weights: Tensor;
}

/** Additive attention masks and biases, kept apart so that each is applied cheaply. */
export interface AttentionBias {
  /**
   * Added to the scores [..., heads, Tq, Tk]; a batch-independent pattern such as the causal
   * mask (as `MASKED_SCORE`) plus a position bias.
   */
  scores?: Tensor;
  /** Per-key bias [batch, 1, Tk, 1], such as `MASKED_SCORE` on padding keys. */
  keys?: Tensor;
}

/**
 * Multi-head scaled dot-product attention from `queries` [..., Tq, d] to `keys` [..., Tk, d],
 * with leading axes broadcast.
 *
 * The per-key bias rides along in the query-key product: queries get an extra component 1
 * and keys an extra component equal to their bias, so q'·k' = q·k + bias(k) without an
 * elementwise pass over the [..., heads, Tq, Tk] scores. The score scale is applied to the
 * queries for the same reason.
 */
export function multiHeadAttention(
  context: LayerContext,
  name: string,
  queries: Tensor,
  keys: Tensor,
  heads: number,
  bias: AttentionBias,
): AttentionResult {
  const dim = queries.shape[queries.rank - 1] as number;
  const headDim = dim / heads;
  let q = op.mul(
    splitHeads(linear(context, `${name}.query`, queries, dim), heads),
    1 / Math.sqrt(headDim),
  );
  let k = splitHeads(linear(context, `${name}.key`, keys, dim), heads);
  const v = splitHeads(linear(context, `${name}.value`, keys, dim), heads);
  if (bias.keys !== undefined) {
    const graph = context.registry.graph;
    const last = new Float32Array(headDim + 1);
    last[headDim] = 1;
    const unit = op.constant(graph, 'float32', [headDim + 1], last);
    const widen = widenMatrix(graph, headDim);
    q = op.add(op.matMul(q, widen), unit);
    k = op.add(op.matMul(k, widen), op.mul(bias.keys, unit));
  }

  let scores = op.matMul(q, op.transposeLastTwo(k));
  if (bias.scores !== undefined) {
    scores = op.add(scores, bias.scores);
  }
  const weights = op.softmax(scores, -1);
  const attended = mergeHeads(op.matMul(weights, v));
  const output = linear(context, `${name}.output`, attended, dim);
  return { output, weights };
}

/**
 * Constant [n, n + 1] matrix that appends a zero component to the last axis. A MatMul does
 * this because the engine has no gradient rule for Pad.
 */
function widenMatrix(graph: Graph, n: number): Tensor {
  const values = new Float32Array(n * (n + 1));
  for (let i = 0; i < n; i += 1) {
    values[i * (n + 1) + i] = 1;
  }
  return op.constant(graph, 'float32', [n, n + 1], values);
}

/** [..., T, d] to [..., heads, T, d / heads]. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const dim = x.shape[x.rank - 1] as number;
  const split = op.reshape(x, [...x.shape.slice(0, -1), heads, dim / heads]);
  return op.transpose(split, swapAxesBeforeLast(split.rank));
}

/** [..., heads, T, headDim] to [..., T, heads * headDim]. */
function mergeHeads(x: Tensor): Tensor {
  const swapped = op.transpose(x, swapAxesBeforeLast(x.rank));
  const heads = swapped.shape[swapped.rank - 2] as number;
  const headDim = swapped.shape[swapped.rank - 1] as number;
  return op.reshape(swapped, [...swapped.shape.slice(0, -2), heads * headDim]);
}

/** Permutation that swaps the two axes before the last one. */
function swapAxesBeforeLast(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 3], perm[rank - 2]] = [perm[rank - 2], perm[rank - 3]];
  return perm;
}
