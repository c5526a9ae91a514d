import type { InteractionSequence } from '../model/qformer/batch';
import type { Candidate } from './candidate-filter';
import type { InferenceRow } from './inference-batcher';
import type { PackedInteraction } from './explanations';
import type { HistoryInteraction } from './recommendations.repository';
import type { ServingModelView } from './serving-model-provider';

/** A history translated into the model's indices, with the interactions it kept. */
export interface EncodedHistory {
  sequence: InteractionSequence;
  /** The kept interactions, oldest first, aligned with `sequence.items`. */
  interactions: PackedInteraction[];
}

/**
 * Translates a newest-first history into the model's item and event-type indices, oldest
 * first. Interactions with items or event types the model does not know (created after it
 * was trained) are skipped. A model with one event-type embedding, or trained without event
 * types, reads every event as type 1.
 */
export function encodeHistory(
  model: ServingModelView,
  newestFirst: readonly HistoryInteraction[],
): EncodedHistory {
  const items: number[] = [];
  const eventTypes: number[] = [];
  const interactions: PackedInteraction[] = [];
  const singleEventType = model.config.eventTypeCount === 1 || model.eventTypes.length === 0;
  for (let i = newestFirst.length - 1; i >= 0; i -= 1) {
    const interaction = newestFirst[i];
    const itemIndex = model.vocabulary.indexOf(interaction.itemId);
    const typeIndex = singleEventType ? 1 : model.eventTypes.indexOf(interaction.eventType) + 1;
    if (itemIndex === undefined || typeIndex < 1 || typeIndex > model.config.eventTypeCount) {
      continue;
    }
    items.push(itemIndex);
    eventTypes.push(typeIndex);
    interactions.push({ itemId: interaction.itemId, title: interaction.title ?? '' });
  }
  return {
    sequence: { items: Int32Array.from(items), eventTypes: Int32Array.from(eventTypes) },
    interactions,
  };
}

/**
 * Yields the model's ranking in chunks: first its fixed top-K, then, only when the consumer
 * requests more (filters removed too many), every other item ordered by the score row of
 * the same run, in chunks that double in size.
 */
export function* modelCandidates(
  model: ServingModelView,
  row: InferenceRow,
  firstChunkSize: number,
): Generator<Candidate[]> {
  yield Array.from(row.topItems, (index, position) => ({
    itemId: model.vocabulary.itemId(index),
    score: row.topScores[position],
    modelIndex: index,
  }));

  const scores = row.allScores;
  const topK = new Set(row.topItems);
  const rest: number[] = [];
  for (let index = 1; index < scores.length; index += 1) {
    if (!topK.has(index)) {
      rest.push(index);
    }
  }
  rest.sort((a, b) => scores[b] - scores[a]);
  let start = 0;
  let size = Math.max(firstChunkSize, 1);
  while (start < rest.length) {
    yield rest.slice(start, start + size).map((index) => ({
      itemId: model.vocabulary.itemId(index),
      score: scores[index],
      modelIndex: index,
    }));
    start += size;
    size *= 2;
  }
}
