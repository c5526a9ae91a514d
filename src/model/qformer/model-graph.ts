import { Graph } from '../engine/graph';
import * as op from '../engine/ops';
import { Dim, Tensor } from '../engine/tensor';
import { interestCount, QFormerConfig } from './config';
import {
  applyDropout,
  feedForward,
  LayerContext,
  layerNorm,
  MASKED_SCORE,
  multiHeadAttention,
} from './layers';

/** Symbolic batch dimension of every graph input. */
export const BATCH = 'batch';

/**
 * History inputs shared by the training and the inference graph. A history is right-aligned
 * in a window of W slots: slot W - 1 contains the newest interaction, and the W - length slots
 * on the left are padding whatever they contain. W is `maxLength` except in training steps
 * for batches of shorter sequences, which use a shorter window and the same weights.
 */
export interface HistoryInputs {
  /** Window length W, at most `maxLength`. */
  windowLength: number;
  /** int64 [batch, L] item indices 1..N (padding slots are ignored). */
  items: Tensor;
  /** int64 [batch, L] event types 1..T (padding slots are ignored). */
  eventTypes: Tensor;
  /** int64 [batch] number of interactions in each window, 0..L. */
  lengths: Tensor;
}

/** Declares the history inputs with a static batch size, or the symbolic `BATCH` dimension. */
export function declareHistoryInputs(
  graph: Graph,
  config: QFormerConfig,
  batch: Dim = BATCH,
  windowLength = config.maxLength,
): HistoryInputs {
  if (!Number.isInteger(windowLength) || windowLength < 1 || windowLength > config.maxLength) {
    throw new Error(`invalid window length ${windowLength}: expected 1..${config.maxLength}`);
  }
  const L = windowLength;
  return {
    windowLength,
    items: graph.input('items', 'int64', [batch, L]),
    eventTypes: graph.input('event_types', 'int64', [batch, L]),
    lengths: graph.input('lengths', 'int64', [batch]),
  };
}

/** The model's output for a set of slots of every history. */
export interface ModelOutputs {
  /** Item embedding table [N + 1, d], row 0 padding, shared by input and scoring. */
  itemEmbeddings: Tensor;
  /** Interest vectors [batch, slots, m, d]. */
  interests: Tensor;
  /** Last Q-Former block's cross-attention [batch, heads, slots * m, L]; Q-Former only. */
  crossAttention?: Tensor;
}

/**
 * Builds the history encoder and the readout. `slots` lists the window slots that get
 * interest vectors: every slot for training, the last slot for inference. Interests for slot
 * t depend only on the non-padding interactions in slots 0..t.
 */
export function buildModel(
  context: LayerContext,
  config: QFormerConfig,
  itemCount: number,
  inputs: HistoryInputs,
  slots: readonly number[],
): ModelOutputs {
  const registry = context.registry;
  const d = config.dim;
  const itemEmbeddings = registry.create('item_embeddings', [itemCount + 1, d], {
    kind: 'normal',
    std: 1 / Math.sqrt(d),
  });
  const valid = validSlotMask(inputs.windowLength, inputs.lengths);
  // Per-key bias [batch, 1, L, 1]: 0 for interactions, MASKED_SCORE for padding.
  const paddingBias = op.unsqueeze(
    op.where(valid, scalarFloat(registry.graph, 0), MASKED_SCORE),
    [1, 3],
  );

  const embedded = embedHistory(context, config, itemEmbeddings, inputs, valid);
  const history = encodeHistory(context, config, embedded, paddingBias, inputs.windowLength);
  if (config.readout === 'last') {
    const selected = selectSlots(history, slots);
    return { itemEmbeddings, interests: op.unsqueeze(selected, [2]) };
  }
  const { interests, crossAttention } = queryTransformer(
    context,
    config,
    history,
    paddingBias,
    slots,
    inputs.items,
  );
  return { itemEmbeddings, interests, crossAttention };
}

/** bool [batch, W]: true where the slot contains an interaction (slot >= W - length). */
function validSlotMask(windowLength: number, lengths: Tensor): Tensor {
  const L = windowLength;
  const slotIndex = op.constant(lengths.graph as Graph, 'int64', [L], [...Array(L).keys()]);
  const lastPadding = op.unsqueeze(op.sub(L - 1, lengths), [1]);
  return op.greater(slotIndex, lastPadding);
}

function embedHistory(
  context: LayerContext,
  config: QFormerConfig,
  itemEmbeddings: Tensor,
  inputs: HistoryInputs,
  valid: Tensor,
): Tensor {
  const { registry } = context;
  const d = config.dim;
  const W = inputs.windowLength;
  const std = 1 / Math.sqrt(d);
  const positionTable = registry.create('position_embeddings', [config.maxLength, d], {
    kind: 'normal',
    std,
  });
  const typeTable = registry.create('event_type_embeddings', [config.eventTypeCount + 1, d], {
    kind: 'normal',
    std,
  });
  // Row r of the position table is the r-th most recent slot, so the newest interaction
  // uses row 0 in training and in serving alike.
  const distanceFromEnd = op.constant(
    registry.graph,
    'int64',
    [W],
    [...Array(W).keys()].map((slot) => W - 1 - slot),
  );
  const gathered = op.gather(itemEmbeddings, zeroPadding(inputs.items, valid));
  const items = config.scaleItemEmbeddings ? op.mul(gathered, Math.sqrt(d)) : gathered;
  const types = op.gather(typeTable, zeroPadding(inputs.eventTypes, valid));
  const positions = op.gather(positionTable, distanceFromEnd);
  const summed = op.add(op.add(items, types), positions);
  const masked = op.where(op.unsqueeze(valid, [2]), summed, 0);
  return applyDropout(context, masked);
}

/** Replaces the indices in padding slots by 0, so any value there is a valid table index. */
function zeroPadding(indices: Tensor, valid: Tensor): Tensor {
  return op.where(valid, indices, 0);
}

function encodeHistory(
  context: LayerContext,
  config: QFormerConfig,
  embedded: Tensor,
  paddingBias: Tensor,
  windowLength: number,
): Tensor {
  const L = windowLength;
  const graph = context.registry.graph;
  const slots = [...Array(L).keys()];
  const causal = op.constant(
    graph,
    'float32',
    [L, L],
    maskValues(slots, L, (query, key) => key <= query),
  );
  let x = embedded;
  for (let block = 0; block < config.encoderBlocks; block += 1) {
    const name = `encoder.${block}`;
    const scores = config.encoderPositionBias
      ? op.add(causal, positionBias(context, config, `${name}.position_bias`, slots, L))
      : causal;
    const normalized = layerNorm(context, `${name}.attention_norm`, x);
    const attention = multiHeadAttention(
      context,
      `${name}.attention`,
      normalized,
      normalized,
      config.heads,
      { scores, keys: paddingBias },
    );
    x = op.add(x, applyDropout(context, attention.output));
    const ffn = feedForward(
      context,
      `${name}.ffn`,
      layerNorm(context, `${name}.ffn_norm`, x),
      config.feedForwardDim,
      config.gatedFeedForward,
    );
    x = op.add(x, applyDropout(context, ffn));
  }
  return layerNorm(context, 'encoder.output_norm', x);
}

/**
 * Runs the Q-Former for the given slots. Its tokens are [batch, S, m, d]: token (s, i) is
 * query i acting for slot slots[s]. Self-attention stays within the m tokens of one slot,
 * and cross-attention from token (s, i) attends to history slot j only when j <= slots[s] and slot
 * j is not padding.
 */
function queryTransformer(
  context: LayerContext,
  config: QFormerConfig,
  history: Tensor,
  paddingBias: Tensor,
  slots: readonly number[],
  items: Tensor,
): { interests: Tensor; crossAttention: Tensor } {
  const { registry } = context;
  const graph = registry.graph;
  const m = interestCount(config);
  const d = config.dim;
  const S = slots.length;
  const batch = items.shape[0];
  const queries = registry.create('qformer.queries', [m, d], {
    kind: 'normal',
    std: 1 / Math.sqrt(d),
  });
  let x: Tensor;
  if (config.slotConditioning) {
    // Each slot's tokens start from the queries plus the encoder state of that slot, so the
    // queries know the newest interaction as a SASRec readout does. Without it, identical
    // queries at every slot averaged the history and training on ML-1M stayed at the
    // popularity baseline's loss for several epochs.
    // NOTE: the slot state (norm 8 at initialisation) dominates the queries (norm about 1),
    // and after 30 minutes on ML-1M a user's 4 interests had a mean cosine similarity of 0.94.
    const slotStates = op.unsqueeze(selectSlots(history, slots), [2]);
    x = op.add(slotStates, queries);
  } else {
    const batchSize = op.slice(op.shapeOf(items), [0], [1]);
    const tokenShape = op.concat([batchSize, op.constant(graph, 'int64', [3], [S, m, d])], 0);
    x = op.expand(queries, tokenShape, [batch, S, m, d]);
  }

  // The Q-Former has L * m tokens per history, and with m = 4 ONNX Runtime's Dropout kernel
  // took longer there than the attention itself. So its ratio is separate and 0 by default.
  const qformerContext: LayerContext = { ...context, dropout: context.qformerDropout ?? 0 };
  const crossBias = crossAttentionBias(context, config, slots, history.shape[1] as number);
  let crossAttention: Tensor | undefined;
  for (let block = 0; block < config.qformerBlocks; block += 1) {
    const name = `qformer.${block}`;
    const selfInput = layerNorm(context, `${name}.self_attention_norm`, x);
    const self = multiHeadAttention(
      context,
      `${name}.self_attention`,
      selfInput,
      selfInput,
      config.heads,
      {},
    );
    x = op.add(x, applyDropout(qformerContext, self.output));

    const crossInput = op.reshape(layerNorm(context, `${name}.cross_attention_norm`, x), [
      batch,
      S * m,
      d,
    ]);
    const cross = multiHeadAttention(
      context,
      `${name}.cross_attention`,
      crossInput,
      history,
      config.heads,
      { scores: crossBias, keys: paddingBias },
    );
    crossAttention = cross.weights;
    x = op.add(x, applyDropout(qformerContext, op.reshape(cross.output, [batch, S, m, d])));

    const ffn = feedForward(
      qformerContext,
      `${name}.ffn`,
      layerNorm(context, `${name}.ffn_norm`, x),
      config.feedForwardDim,
      config.gatedFeedForward,
    );
    x = op.add(x, applyDropout(qformerContext, ffn));
  }
  const interests = layerNorm(context, 'qformer.output_norm', x);
  return { interests, crossAttention: crossAttention as Tensor };
}

/**
 * Batch-independent bias [heads or 1, S * m, L] of the cross-attention scores: the causal
 * pattern and, when configured, a learned bias per head indexed by t - j.
 */
function crossAttentionBias(
  context: LayerContext,
  config: QFormerConfig,
  slots: readonly number[],
  windowLength: number,
): Tensor {
  const graph = context.registry.graph;
  const L = windowLength;
  const m = interestCount(config);
  const tokenSlots = slots.flatMap((slot) => Array<number>(m).fill(slot));
  const causal = op.constant(
    graph,
    'float32',
    [tokenSlots.length, L],
    maskValues(tokenSlots, L, (slot, key) => key <= slot),
  );
  if (!config.relativePositionBias) {
    return causal;
  }
  return op.add(
    causal,
    positionBias(context, config, 'qformer.relative_position_bias', tokenSlots, L),
  );
}

/**
 * Learned attention bias [heads, rows.length, L] from a table [maxLength, heads] indexed by
 * how many slots key j lies before the row's slot (0 for keys at or after it, which the
 * causal mask hides).
 */
function positionBias(
  context: LayerContext,
  config: QFormerConfig,
  name: string,
  rowSlots: readonly number[],
  L: number,
): Tensor {
  const table = context.registry.create(name, [config.maxLength, config.heads], {
    kind: 'recency',
  });
  const offsets = rowSlots.flatMap((slot) =>
    [...Array(L).keys()].map((key) => Math.min(Math.max(slot - key, 0), L - 1)),
  );
  const index = op.constant(context.registry.graph, 'int64', [rowSlots.length, L], offsets);
  return op.transpose(op.gather(table, index), [2, 0, 1]);
}

/** Flattened [rows.length, L] values: 0 where `allowed(row, key)`, `MASKED_SCORE` elsewhere. */
function maskValues(
  rows: readonly number[],
  L: number,
  allowed: (row: number, key: number) => boolean,
): Float32Array {
  const values = new Float32Array(rows.length * L);
  rows.forEach((row, index) => {
    for (let key = 0; key < L; key += 1) {
      values[index * L + key] = allowed(row, key) ? 0 : MASKED_SCORE;
    }
  });
  return values;
}

/** Takes `history[:, slots, :]` for a contiguous run of slots. */
function selectSlots(history: Tensor, slots: readonly number[]): Tensor {
  const first = slots[0];
  if (!slots.every((slot, index) => slot === first + index)) {
    throw new Error(`slots [${slots.join(', ')}] must be contiguous`);
  }
  return op.slice(history, [first], [first + slots.length], [1]);
}

/**
 * Scores items against interests [P, m, d]: `itemTable` [X, d] gives [P, X] scores, the max or
 * the temperature-scaled log-sum-exp over the m interests of each interest-item dot product.
 */
export function scoreItems(config: QFormerConfig, interests: Tensor, itemTable: Tensor): Tensor {
  const dots = op.matMul(interests, op.transposeLastTwo(itemTable));
  return aggregateInterests(config, dots, 1);
}

/** Combines per-interest scores along `axis` into one score per item. */
export function aggregateInterests(config: QFormerConfig, scores: Tensor, axis: number): Tensor {
  if (scores.shape[axis] === 1) {
    return op.squeeze(scores, [axis]);
  }
  switch (config.aggregation) {
    case 'max':
      return op.reduceMax(scores, [axis]);
    case 'logsumexp': {
      const temperature = config.aggregationTemperature;
      const scaled = op.mul(scores, 1 / temperature);
      const shift = op.reduceMax(scaled, [axis], true);
      const sum = op.reduceSum(op.exp(op.sub(scaled, shift)), [axis], true);
      return op.mul(op.squeeze(op.add(op.log(sum), shift), [axis]), temperature);
    }
  }
}

function scalarFloat(graph: Graph, value: number): Tensor {
  return op.constant(graph, 'float32', [], [value]);
}
