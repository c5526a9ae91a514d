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
  config: QFormerConfig = TINY_CONFIG,
): SavedModelContents {
  const vocabulary = ItemVocabulary.fromItemIds(itemIds);
  return {
    config,
    vocabulary,
    parameters: initializeParameters(parameterSpecsOf(config, vocabulary.size), seed),
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

/** One interaction to seed, with external ids. */
export interface SeedInteraction {
  userId: string;
  itemId: string;
  eventType: string;
  occurredAt: Date;
}

/**
 * Two groups of users, each reading the items of its own group in a fixed cyclic order:
 * `users` users per group and `perUser` interactions each, one minute apart, from
 * 2026-01-01T00:00:00Z on. Item ids are `a01`… and `b01`…; users `ua01`… and `ub01`….
 */
export function clusteredInteractions(
  users: number,
  items: number,
  perUser: number,
): SeedInteraction[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const interactions: SeedInteraction[] = [];
  for (const group of ['a', 'b']) {
    for (let user = 1; user <= users; user += 1) {
      for (let step = 0; step < perUser; step += 1) {
        const item = ((user + step) % items) + 1;
        interactions.push({
          userId: `u${group}${pad(user)}`,
          itemId: `${group}${pad(item)}`,
          eventType: step % 3 === 0 ? 'click' : 'view',
          occurredAt: new Date(start + (user * perUser + step) * 60_000),
        });
      }
    }
  }
  return interactions;
}

/** Inserts users, items (titled with their id) and interactions with plain SQL. */
export async function seedInteractions(
  dataSource: { query: (sql: string, parameters?: unknown[]) => Promise<unknown> },
  interactions: SeedInteraction[],
): Promise<void> {
  const userIds = [...new Set(interactions.map((interaction) => interaction.userId))];
  const itemIds = [...new Set(interactions.map((interaction) => interaction.itemId))];
  await dataSource.query(
    `INSERT INTO users (external_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
    [userIds],
  );
  await dataSource.query(
    `INSERT INTO items (external_id, title)
     SELECT id, id FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING`,
    [itemIds],
  );
  await dataSource.query(
    `INSERT INTO interactions (user_id, item_id, event_type, occurred_at)
     SELECT u.id, it.id, s.event_type, s.occurred_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
            AS s (user_external_id, item_external_id, event_type, occurred_at)
       JOIN users u ON u.external_id = s.user_external_id
       JOIN items it ON it.external_id = s.item_external_id`,
    [
      interactions.map((interaction) => interaction.userId),
      interactions.map((interaction) => interaction.itemId),
      interactions.map((interaction) => interaction.eventType),
      interactions.map((interaction) => interaction.occurredAt.toISOString()),
    ],
  );
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
