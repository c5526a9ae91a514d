import type { Explanation } from './recommendation.types';
import type { InferenceRow } from './inference-batcher';

/** Past interactions that explanations name, per item. */
export const EXPLANATION_CAUSES = 3;

/** A history interaction as packed into the model's window, oldest first. */
export interface PackedInteraction {
  itemId: string;
  title: string;
}

export interface ExplanationContext {
  row: InferenceRow;
  /** Item embedding table [N + 1, d], or null when the model does not output it. */
  itemTable: Float32Array | null;
  interestCount: number;
  dim: number;
  /** Window length L of the model. */
  maxLength: number;
  /** The interactions fed to the model, oldest first; the newest sits in the last slot. */
  history: readonly PackedInteraction[];
}

/**
 * Explains one recommended item: the interest whose dot product with the item's embedding
 * is highest (the one that sets the score under max aggregation), and the history items with
 * the highest cross-attention weight in that interest. Weights of repeated items are summed.
 */
export function explainItem(modelIndex: number, context: ExplanationContext): Explanation {
  const interest = chooseInterest(modelIndex, context);
  if (interest === null || context.row.attention === undefined) {
    return { interest, because: [] };
  }

  const L = context.maxLength;
  const weights = context.row.attention.subarray(interest * L, (interest + 1) * L);
  const length = Math.min(context.history.length, L);
  const firstSlot = L - length;
  const weightByItem = new Map<string, { title: string; weight: number }>();
  for (let k = 0; k < length; k += 1) {
    const interaction = context.history[context.history.length - length + k];
    const entry = weightByItem.get(interaction.itemId) ?? { title: interaction.title, weight: 0 };
    entry.weight += weights[firstSlot + k];
    weightByItem.set(interaction.itemId, entry);
  }

  const because = [...weightByItem.entries()]
    .map(([itemId, entry]) => ({ itemId, title: entry.title, weight: entry.weight }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, EXPLANATION_CAUSES);
  return { interest, because };
}

function chooseInterest(modelIndex: number, context: ExplanationContext): number | null {
  if (context.interestCount === 1) {
    return 0;
  }
  if (context.itemTable === null) {
    return null;
  }
  const d = context.dim;
  const embedding = context.itemTable.subarray(modelIndex * d, (modelIndex + 1) * d);
  let best = 0;
  let bestScore = -Infinity;
  for (let q = 0; q < context.interestCount; q += 1) {
    const interest = context.row.interests.subarray(q * d, (q + 1) * d);
    let score = 0;
    for (let i = 0; i < d; i += 1) {
      score += interest[i] * embedding[i];
    }
    if (score > bestScore) {
      best = q;
      bestScore = score;
    }
  }
  return best;
}
