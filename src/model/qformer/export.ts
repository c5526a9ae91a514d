import { ParameterTensor } from '../engine/optim/adamw';
import { serializeModel } from '../engine/onnx-serializer';
import { QFormerConfig } from './config';
import { buildInferenceGraph } from './inference-graph';
import { checkParametersMatch, toConstantValues } from './parameters';

/**
 * Serialises the forward-only model with the trained weights as initializers. Inputs:
 * `items`, `event_types` (int64 [batch, L], right-aligned, padding on the left) and `lengths`
 * (int64 [batch]). Outputs: `top_items`, `top_scores` [batch, topK], `scores` [batch, N + 1],
 * `interests` [batch, m, d], for the Q-Former readout `attention` [batch, m, L], and
 * `item_embedding_table` [N + 1, d]. With a `windowLength` W below `maxLength`, L is W.
 */
export function exportOnnxModel(
  config: QFormerConfig,
  itemCount: number,
  parameters: readonly ParameterTensor[],
  topK: number,
  windowLength = config.maxLength,
): Uint8Array {
  const inference = buildInferenceGraph(config, itemCount, topK, windowLength);
  checkParametersMatch(inference.parameterSpecs, parameters);
  return serializeModel(inference.graph, {
    outputs: inference.outputs,
    parameterValues: toConstantValues(parameters),
  });
}
