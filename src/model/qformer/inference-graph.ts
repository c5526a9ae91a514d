import { Graph } from '../engine/graph';
import * as op from '../engine/ops';
import { Tensor } from '../engine/tensor';
import { QFormerConfig } from './config';
import { LayerContext, MASKED_SCORE } from './layers';
import { BATCH, buildModel, declareHistoryInputs, HistoryInputs, scoreItems } from './model-graph';
import { ParameterRegistry, ParameterSpec } from './parameters';

/** Output names of the exported model, in graph order. */
export const INFERENCE_OUTPUTS = {
  topItems: 'top_items',
  topScores: 'top_scores',
  scores: 'scores',
  interests: 'interests',
  attention: 'attention',
  itemEmbeddings: 'item_embedding_table',
} as const;

export interface InferenceGraph {
  graph: Graph;
  history: HistoryInputs;
  /**
   * int64 [batch, K]: item indices 1..N, best first.
   * NOTE: the history's own items are not removed; callers filter them.
   */
  topItems: Tensor;
  /** float32 [batch, K]: their scores. */
  topScores: Tensor;
  /** float32 [batch, N + 1]: every item's score; column 0 (padding) is -1e9. */
  scores: Tensor;
  /** float32 [batch, m, d]: interest vectors after the newest interaction. */
  interests: Tensor;
  /**
   * float32 [batch, m, L]: each query's cross-attention over the history slots in the last
   * Q-Former block, averaged over heads. Absent for the last-slot readout.
   */
  attention?: Tensor;
  /**
   * float32 [N + 1, d]: the item embedding table, so that callers can score an item against
   * each interest separately (explanations). It does not depend on the batch.
   */
  itemEmbeddings: Tensor;
  outputs: Tensor[];
  parameterSpecs: ParameterSpec[];
}

/**
 * Builds the forward graph that reads each history's window and scores all items for the
 * slot after its newest interaction, with a fixed top-K. A `windowLength` below `maxLength`
 * gives a cheaper graph over the same weights for histories that fit in it.
 */
export function buildInferenceGraph(
  config: QFormerConfig,
  itemCount: number,
  topK: number,
  windowLength = config.maxLength,
): InferenceGraph {
  if (!Number.isInteger(topK) || topK < 1 || topK > itemCount) {
    throw new Error(`invalid top-K ${topK}: expected an integer in 1..${itemCount}`);
  }
  const graph = new Graph('qformer_inference');
  const registry = new ParameterRegistry(graph);
  const context: LayerContext = { registry, dropout: 0, nextDropoutSeed: () => 0 };
  const history = declareHistoryInputs(graph, config, BATCH, windowLength);
  const last = windowLength - 1;
  const model = buildModel(context, config, itemCount, history, [last]);

  const interestsRaw = op.squeeze(model.interests, [1]);
  const paddingColumn = new Float32Array(itemCount + 1);
  paddingColumn[0] = MASKED_SCORE;
  const scoresRaw = op.add(
    scoreItems(config, interestsRaw, model.itemEmbeddings),
    op.constant(graph, 'float32', [itemCount + 1], paddingColumn),
  );
  const scores = rename(graph, scoresRaw, INFERENCE_OUTPUTS.scores);
  const top = op.topK(scores, topK, { axis: -1 });
  const topItems = rename(graph, top.indices, INFERENCE_OUTPUTS.topItems);
  const topScores = rename(graph, top.values, INFERENCE_OUTPUTS.topScores);
  const interests = rename(graph, interestsRaw, INFERENCE_OUTPUTS.interests);
  const attention =
    model.crossAttention === undefined
      ? undefined
      : rename(graph, op.reduceMean(model.crossAttention, [1]), INFERENCE_OUTPUTS.attention);

  const itemEmbeddings = rename(graph, model.itemEmbeddings, INFERENCE_OUTPUTS.itemEmbeddings);

  const outputs = [topItems, topScores, scores, interests];
  if (attention !== undefined) {
    outputs.push(attention);
  }
  outputs.push(itemEmbeddings);
  return {
    graph,
    history,
    topItems,
    topScores,
    scores,
    interests,
    attention,
    itemEmbeddings,
    outputs,
    parameterSpecs: registry.specs,
  };
}

function rename(graph: Graph, tensor: Tensor, name: string): Tensor {
  return graph.addNode('Identity', [tensor], [tensor], {}, { outputName: name })[0];
}
