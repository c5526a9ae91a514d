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
  /** Full-softmax logits [P, N + 1] before masking padding; absent for sampled softmax. */
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
  const interests = op.gather(flatInterests, targetSlots);
  const logits = scoreItems(config, interests, itemEmbeddings);

  const paddingColumn = new Float32Array(itemCount + 1);
  paddingColumn[0] = MASKED_SCORE;
  const masked = op.add(logits, op.constant(graph, 'float32', [itemCount + 1], paddingColumn));
  const logProbabilities = op.logSoftmax(masked, -1);
  // The target column is picked with a one-hot Where, because a Gather from the flattened
  // [P * (N + 1)] log-probabilities has no gradient in the engine (its size is symbolic).
  const itemIndex = op.constant(graph, 'int64', [itemCount + 1], [...Array(itemCount + 1).keys()]);
  const isTarget = op.equal(op.unsqueeze(targetItems, [1]), itemIndex);
  const targetLogProbabilities = op.reduceSum(op.where(isTarget, logProbabilities, 0), [1]);
  const loss = op.neg(meanOverTargets(targetLogProbabilities));
  return { loss, lossInputs: { kind: 'full', targetSlots, targetItems }, logits };
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
  const interests = op.gather(flatInterests, targetSlots);

  const targetEmbeddings = op.unsqueeze(op.gather(itemEmbeddings, targetItems), [1]);
  const targetDots = op.reduceSum(op.mul(interests, targetEmbeddings), [2]);
  const targetScores = op.sub(aggregateInterests(config, targetDots, 1), targetLogQ);

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
