import { differentiate, ParameterGradient } from '../engine/autodiff';
import { Graph } from '../engine/graph';
import * as op from '../engine/ops';
import { Tensor } from '../engine/tensor';
import { interestCount, QFormerConfig, usesFullSoftmax } from './config';
import { LayerContext, MASKED_SCORE } from './layers';
import {
  aggregateInterests,
  buildModel,
  declareHistoryInputs,
  HistoryInputs,
  scoreItems,
} from './model-graph';
import { ParameterRegistry, ParameterSpec } from './parameters';

/** Symbolic number of packed training targets in a batch. */
export const TARGETS = 'targets';

/** Loss inputs of the full softmax cross-entropy. */
export interface FullSoftmaxInputs {
  kind: 'full';
  /** int64 [P]: flat slot index b * L + t of each target. */
  targetSlots: Tensor;
  /** int64 [P] target item indices. */
  targetItems: Tensor;
  /** With `maskHistoryItems`: the [target, item - 1] pairs whose logit gets HISTORY_ITEM_OFFSET. */
  historyItemPairs?: Tensor;
  /** float32 [pairs]: HISTORY_ITEM_OFFSET for every pair. */
  historyItemOffsets?: Tensor;
}

/** Loss inputs of the sampled softmax with log-Q correction. */
export interface SampledSoftmaxInputs {
  kind: 'sampled';
  targetSlots: Tensor;
  /** int64 [P] target item indices. */
  targetItems: Tensor;
  /** float32 [P] log of each target's sampling probability. */
  targetLogQ: Tensor;
  /** int64 [S] negatives shared by every target of the batch. */
  negatives: Tensor;
  /** float32 [S] log of each negative's sampling probability. */
  negativeLogQ: Tensor;
}

export type LossInputs = FullSoftmaxInputs | SampledSoftmaxInputs;

export interface TrainingGraph {
  graph: Graph;
  config: QFormerConfig;
  itemCount: number;
  history: HistoryInputs;
  lossInputs: LossInputs;
  /** int64 [rows]: unique item indices whose embedding gradient the step returns. */
  itemRows: Tensor;
  /** Mean cross-entropy over the packed targets. */
  loss: Tensor;
  /** Interest vectors [batch, L, m, d] of every slot. */
  interests: Tensor;
  /** Full-softmax logits [P, N] of items 1..N; absent for sampled softmax. */
  logits?: Tensor;
  gradients: Map<string, ParameterGradient>;
  parameterSpecs: ParameterSpec[];
}

export interface TrainingGraphOptions {
  /**
   * Sequences per step. It is static because the engine's Gather gradient needs a table of
   * static shape. A short batch is filled with empty windows, which have no targets.
   */
  batchSize: number;
  /**
   * Window length W <= maxLength of this graph's histories. Default maxLength. Batches of
   * short sequences use a short window, which saves the padding slots' work.
   */
  windowLength?: number;
  /** Seed of the Dropout nodes' generators. Default 1. */
  dropoutSeed?: number;
}

/**
 * Builds the graph of one training step over every slot of a batch of windows: the model,
 * the cross-entropy of each target slot's next item, and the gradients of all parameters
 * (row-sparse for the item embedding table).
 */
export function buildTrainingGraph(
  config: QFormerConfig,
  itemCount: number,
  options: TrainingGraphOptions,
): TrainingGraph {
  const graph = new Graph('qformer_training');
  const registry = new ParameterRegistry(graph);
  let dropoutSeed = options.dropoutSeed ?? 1;
  const context: LayerContext = {
    registry,
    dropout: config.dropout,
    qformerDropout: config.qformerDropout,
    nextDropoutSeed: () => dropoutSeed++,
  };
  const history = declareHistoryInputs(
    graph,
    config,
    options.batchSize,
    options.windowLength ?? config.maxLength,
  );
  const slots = [...Array(history.windowLength).keys()];
  const model = buildModel(context, config, itemCount, history, slots);

  const m = interestCount(config);
  const flatInterests = op.reshape(model.interests, [
    options.batchSize * history.windowLength,
    m,
    config.dim,
  ]);
  const itemRows = graph.input('item_rows', 'int64', ['rows']);
  const full = usesFullSoftmax(config, itemCount);
  const { loss, lossInputs, logits } = full
    ? fullSoftmaxLoss(config, graph, flatInterests, model.itemEmbeddings, itemCount)
    : sampledSoftmaxLoss(config, graph, flatInterests, model.itemEmbeddings);

  const gradients = differentiate(loss, graph.parameters, {
    rowSparse: new Map([[model.itemEmbeddings.name, itemRows]]),
  });
  return {
    graph,
    config,
    itemCount,
    history,
    lossInputs,
    itemRows,
    loss,
    interests: model.interests,
    logits,
    gradients,
    parameterSpecs: registry.specs,
  };
}

function fullSoftmaxLoss(
  config: QFormerConfig,
  graph: Graph,
  flatInterests: Tensor,
  itemEmbeddings: Tensor,
  itemCount: number,
): { loss: Tensor; lossInputs: FullSoftmaxInputs; logits: Tensor } {
  const targetSlots = graph.input('target_slots', 'int64', [TARGETS]);
  const targetItems = graph.input('target_items', 'int64', [TARGETS]);
  const targetEmbeddings = op.gather(itemEmbeddings, targetItems);
  const interests = trainedInterests(
    config,
    op.gather(flatInterests, targetSlots),
    targetEmbeddings,
  );
  const realItems = op.slice(itemEmbeddings, [1], [itemCount + 1], [0]);
  const logits = scoreItems(config, interests, realItems);
  const targetScores = scoreTargets(config, interests, targetEmbeddings);
  const lossInputs: FullSoftmaxInputs = { kind: 'full', targetSlots, targetItems };
  let trainedLogits = logits;
  if (config.maskHistoryItems) {
    lossInputs.historyItemPairs = graph.input('history_item_pairs', 'int64', ['pairs', 2]);
    lossInputs.historyItemOffsets = graph.input('history_item_offsets', 'float32', ['pairs']);
    // The offsets depend on no parameter, so no gradient flows through the scatter.
    const zero = op.expand(
      op.constant(graph, 'float32', [1], [0]),
      op.shapeOf(logits),
      logits.shape,
    );
    const offsets = op.scatterNDAdd(
      zero,
      lossInputs.historyItemPairs,
      lossInputs.historyItemOffsets,
    );
    trainedLogits = op.add(logits, offsets);
  }

  // log Σ_j exp(x_j) equals x_j - logSoftmax(x)_j for every j, so it is also the row mean of
  // x - logSoftmax(x). Two row means replace picking the target column, which would take a
  // one-hot pass over [P, N] forward and backward.
  const logNormalizer = op.sub(
    op.reduceMean(trainedLogits, [1]),
    op.reduceMean(op.logSoftmax(trainedLogits, -1), [1]),
  );
  const loss = meanOverTargets(op.sub(logNormalizer, targetScores));
  return { loss, lossInputs, logits };
}

/** Scores [P] of each target item against its interests [P, m, d]. */
function scoreTargets(config: QFormerConfig, interests: Tensor, targetEmbeddings: Tensor): Tensor {
  const dots = op.reduceSum(op.mul(interests, op.unsqueeze(targetEmbeddings, [1])), [2]);
  return aggregateInterests(config, dots, 1);
}

function sampledSoftmaxLoss(
  config: QFormerConfig,
  graph: Graph,
  flatInterests: Tensor,
  itemEmbeddings: Tensor,
): { loss: Tensor; lossInputs: SampledSoftmaxInputs; logits?: undefined } {
  const targetSlots = graph.input('target_slots', 'int64', [TARGETS]);
  const targetItems = graph.input('target_items', 'int64', [TARGETS]);
  const targetLogQ = graph.input('target_log_q', 'float32', [TARGETS]);
  const negatives = graph.input('negatives', 'int64', [config.sampledNegatives]);
  const negativeLogQ = graph.input('negative_log_q', 'float32', [config.sampledNegatives]);
  const targetEmbeddings = op.gather(itemEmbeddings, targetItems);
  const interests = trainedInterests(
    config,
    op.gather(flatInterests, targetSlots),
    targetEmbeddings,
  );
  const targetScores = op.sub(scoreTargets(config, interests, targetEmbeddings), targetLogQ);

  const negativeScores = op.sub(
    scoreItems(config, interests, op.gather(itemEmbeddings, negatives)),
    negativeLogQ,
  );
  // A negative that equals the target would count the target against itself.
  const accidentalHit = op.equal(op.unsqueeze(targetItems, [1]), op.unsqueeze(negatives, [0]));
  const maskedNegatives = op.where(accidentalHit, MASKED_SCORE, negativeScores);

  // Cross-entropy with the target in front: log-sum-exp over target and negatives minus the
  // target's logit. Masked negatives add exp(-1e9) = 0 to the sum.
  const logits = op.concat([op.unsqueeze(targetScores, [1]), maskedNegatives], 1);
  const loss = meanOverTargets(op.sub(logSumExp(logits, 1), targetScores));
  return {
    loss,
    lossInputs: { kind: 'sampled', targetSlots, targetItems, targetLogQ, negatives, negativeLogQ },
  };
}

/** Numerically stable log-sum-exp along `axis`, which is removed. */
function logSumExp(x: Tensor, axis: number): Tensor {
  const shift = op.reduceMax(x, [axis], true);
  const sum = op.reduceSum(op.exp(op.sub(x, shift)), [axis], true);
  return op.squeeze(op.add(op.log(sum), shift), [axis]);
}

/**
 * Mean of a 1-D tensor with a symbolic length, as a [1] tensor. The engine's ReduceMean
 * gradient needs a static size, so this divides the sum by the run-time element count.
 */
function meanOverTargets(x: Tensor): Tensor {
  const count = op.cast(op.shapeOf(x), x.dtype);
  return op.div(op.unsqueeze(op.reduceSum(x), [0]), count);
}

/**
 * Interests [P, m', d] that the loss scores: all m interests, or for `target` selection the
 * one with the highest dot product with the target item's embedding (m' = 1). The selection
 * mask comes from a comparison, so no gradient flows through the choice itself.
 */
function trainedInterests(
  config: QFormerConfig,
  interests: Tensor,
  targetEmbeddings: Tensor,
): Tensor {
  if (config.interestSelection === 'all' || interests.shape[1] === 1) {
    return interests;
  }
  const dots = op.reduceSum(op.mul(interests, op.unsqueeze(targetEmbeddings, [1])), [2], true);
  const chosen = op.cast(op.equal(dots, op.reduceMax(dots, [1], true)), interests.dtype);
  return op.reduceSum(op.mul(interests, chosen), [1], true);
}
