import { ItemVocabulary } from '../../src/model/data/item-vocabulary';
import { QFormerConfig, resolveConfig } from '../../src/model/qformer/config';
import { SavedModelContents } from '../../src/model/qformer/model-store';
import { initializeParameters } from '../../src/model/qformer/parameters';
import { parameterSpecsOf } from '../../src/model/qformer/trainer';

/** Configuration small enough that exporting and loading a model takes milliseconds. */
export const TINY_CONFIG: QFormerConfig = resolveConfig({
  dim: 8,
  maxLength: 6,
  encoderBlocks: 1,
  queryCount: 2,
  heads: 2,
  feedForwardDim: 16,
  dropout: 0,
});

/** Untrained model contents over `itemIds`, with weights drawn from `seed`. */
export function untrainedModel(
  itemIds: string[],
  seed: number,
  metrics: unknown = {},
): SavedModelContents {
  const vocabulary = ItemVocabulary.fromItemIds(itemIds);
  return {
    config: TINY_CONFIG,
    vocabulary,
    parameters: initializeParameters(parameterSpecsOf(TINY_CONFIG, vocabulary.size), seed),
    topK: 3,
    metrics,
  };
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
