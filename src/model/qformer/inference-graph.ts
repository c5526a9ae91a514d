import { Graph } from '../engine/graph';
import * as op from '../engine/ops';
import { Tensor } from '../engine/tensor';
import { QFormerConfig } from './config';
import { LayerContext, MASKED_SCORE } from './layers';
import { BATCH, buildModel, declareHistoryInputs, HistoryInputs, scoreItems } from './model-graph';
import { memberPrefix, ParameterRegistry, ParameterSpec } from './parameters';

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
  const history = declareHistoryInputs(graph, config, BATCH, windowLength);
  const members = [...Array(config.ensembleMembers).keys()].map((member) =>
    buildMember(graph, config, itemCount, history, member),
  );
  const combined: ScoredOutputs =
    members.length === 1 ? members[0] : combineMembers(config, members);

  const paddingColumn = new Float32Array(itemCount + 1);
  paddingColumn[0] = MASKED_SCORE;
  const scoresRaw = op.add(
    combined.scores,
    op.constant(graph, 'float32', [itemCount + 1], paddingColumn),
  );
  const scores = rename(graph, scoresRaw, INFERENCE_OUTPUTS.scores);
  const top = op.topK(scores, topK, { axis: -1 });
  const topItems = rename(graph, top.indices, INFERENCE_OUTPUTS.topItems);
  const topScores = rename(graph, top.values, INFERENCE_OUTPUTS.topScores);
  const interests = rename(graph, combined.interests, INFERENCE_OUTPUTS.interests);
  const attention =
    combined.attention === undefined
      ? undefined
      : rename(graph, combined.attention, INFERENCE_OUTPUTS.attention);
  const itemEmbeddings = rename(graph, combined.itemEmbeddings, INFERENCE_OUTPUTS.itemEmbeddings);

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
    parameterSpecs: members.flatMap((member) => member.parameterSpecs),
  };
}

/** Outputs for the slot after each history's newest interaction, before the padding mask. */
interface ScoredOutputs {
  /** [batch, N + 1] item scores; column 0 (padding) is not masked yet. */
  scores: Tensor;
  /** [batch, m, d] interest vectors. */
  interests: Tensor;
  /** [batch, m, L] cross-attention averaged over heads; Q-Former readout only. */
  attention?: Tensor;
  /** [N + 1, d] item embedding table. */
  itemEmbeddings: Tensor;
}

/** One model's outputs and the parameters it declared. */
interface MemberOutputs extends ScoredOutputs {
  parameterSpecs: ParameterSpec[];
}

/**
 * Builds one model over the shared history inputs. A single model's parameters keep their
 * names; ensemble member k's start with `member.k.`.
 */
function buildMember(
  graph: Graph,
  config: QFormerConfig,
  itemCount: number,
  history: HistoryInputs,
  member: number,
): MemberOutputs {
  const prefix = config.ensembleMembers === 1 ? '' : memberPrefix(member);
  const registry = new ParameterRegistry(graph, prefix);
  const context: LayerContext = { registry, dropout: 0, nextDropoutSeed: () => 0 };
  const model = buildModel(context, config, itemCount, history, [history.windowLength - 1]);
  const interests = op.squeeze(model.interests, [1]);
  return {
    scores: scoreItems(config, interests, model.itemEmbeddings),
    interests,
    attention:
      model.crossAttention === undefined ? undefined : op.reduceMean(model.crossAttention, [1]),
    itemEmbeddings: model.itemEmbeddings,
    parameterSpecs: registry.specs,
  };
}

/**
 * Adds up the members' scores. Interests and item tables follow `exportedInterestShape`:
 * member k's interests move to columns k * d .. (k + 1) * d - 1 of rows of their own, and the
 * item tables sit side by side, so every interest's dot product with an item stays its
 * member's score. Attention rows follow the interests.
 */
function combineMembers(config: QFormerConfig, members: MemberOutputs[]): ScoredOutputs {
  const d = config.dim;
  const width = members.length * d;
  const graph = members[0].scores.graph as Graph;
  const placed = members.map((member, k) => {
    // [d, M * d] with an identity block in columns k * d .. (k + 1) * d - 1.
    const placement = new Float32Array(d * width);
    for (let i = 0; i < d; i += 1) {
      placement[i * width + k * d + i] = 1;
    }
    return op.matMul(member.interests, op.constant(graph, 'float32', [d, width], placement));
  });
  const attentions = members.map((member) => member.attention);
  return {
    scores: members.slice(1).reduce((sum, member) => op.add(sum, member.scores), members[0].scores),
    interests: op.concat(placed, 1),
    attention: attentions.every((attention) => attention !== undefined)
      ? op.concat(attentions, 1)
      : undefined,
    itemEmbeddings: op.concat(
      members.map((member) => member.itemEmbeddings),
      1,
    ),
  };
}

function rename(graph: Graph, tensor: Tensor, name: string): Tensor {
  return graph.addNode('Identity', [tensor], [tensor], {}, { outputName: name })[0];
}
