import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_NULL, copyRow, copyText, copyTextArray } from './copy-text';
import type { EventRecord, ItemRecord } from './types';

/** Rows that one batch added; the other rows of the batch already existed. */
export interface EventBatchResult {
  inserted: number;
  usersCreated: number;
  itemsCreated: number;
}

/**
 * Writes one batch of events in one transaction: COPY into a temporary staging table, then
 * set-based inserts into users, items and interactions. A batch is stored completely or not
 * at all. Existing rows are never changed: users and items that exist are reused, and an
 * event whose event_id exists is skipped.
 */
export async function writeEventBatch(
  client: ClientBase,
  events: readonly EventRecord[],
): Promise<EventBatchResult> {
  return inTransaction(client, async () => {
    // Lets the sort by ordinal of a 50,000-row batch stay in memory (the default work_mem
    // of 4 MB spilled it to disk); LOCAL ends with the transaction.
    await client.query(`SET LOCAL work_mem = '64MB'`);
    await client.query(`
      CREATE TEMPORARY TABLE import_events (
        ordinal integer NOT NULL,
        user_external_id text NOT NULL,
        item_external_id text NOT NULL,
        event_type text NOT NULL,
        value double precision,
        occurred_at timestamptz NOT NULL,
        event_id text NOT NULL
      ) ON COMMIT DROP`);
    await copyRows(client, 'COPY import_events FROM STDIN', encodeEvents(events));

    // Users and items get their ids in the order of first appearance in the file. The
    // NOT EXISTS filter keeps the identity sequences from advancing for existing rows.
    const users = await client.query(`
      INSERT INTO users (external_id)
      SELECT s.user_external_id FROM import_events s
      WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.external_id = s.user_external_id)
      GROUP BY s.user_external_id
      ORDER BY min(s.ordinal)
      ON CONFLICT (external_id) DO NOTHING`);
    const items = await client.query(`
      INSERT INTO items (external_id, title)
      SELECT s.item_external_id, s.item_external_id FROM import_events s
      WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.external_id = s.item_external_id)
      GROUP BY s.item_external_id
      ORDER BY min(s.ordinal)
      ON CONFLICT (external_id) DO NOTHING`);
    const interactions = await client.query(`
      INSERT INTO interactions (user_id, item_id, event_type, value, occurred_at, event_id)
      SELECT u.id, i.id, s.event_type, s.value, s.occurred_at, s.event_id
      FROM import_events s
      JOIN users u ON u.external_id = s.user_external_id
      JOIN items i ON i.external_id = s.item_external_id
      ORDER BY s.ordinal
      ON CONFLICT (event_id) DO NOTHING`);

    return {
      inserted: interactions.rowCount ?? 0,
      usersCreated: users.rowCount ?? 0,
      itemsCreated: items.rowCount ?? 0,
    };
  });
}

/**
 * Writes one batch of catalog items in one transaction. An item whose external id exists
 * keeps its current title and categories, and of two rows with the same id the first wins.
 * Returns the number of items created.
 */
export async function writeItemBatch(
  client: ClientBase,
  items: readonly ItemRecord[],
): Promise<number> {
  return inTransaction(client, async () => {
    await client.query(`
      CREATE TEMPORARY TABLE import_items (
        ordinal integer NOT NULL,
        external_id text NOT NULL,
        title text NOT NULL,
        categories text[] NOT NULL,
        attributes jsonb NOT NULL
      ) ON COMMIT DROP`);
    await copyRows(client, 'COPY import_items FROM STDIN', encodeItems(items));

    const result = await client.query(`
      INSERT INTO items (external_id, title, categories, attributes)
      SELECT s.external_id, s.title, s.categories, s.attributes
      FROM import_items s
      WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.external_id = s.external_id)
      ORDER BY s.ordinal
      ON CONFLICT (external_id) DO NOTHING`);
    return result.rowCount ?? 0;
  });
}

function encodeEvents(events: readonly EventRecord[]): string {
  let text = '';
  events.forEach((event, ordinal) => {
    text += copyRow([
      String(ordinal),
      copyText(event.userId),
      copyText(event.itemId),
      copyText(event.eventType),
      event.value === null ? COPY_NULL : String(event.value),
      event.occurredAt.toISOString(),
      copyText(event.eventId),
    ]);
  });
  return text;
}

function encodeItems(items: readonly ItemRecord[]): string {
  let text = '';
  items.forEach((item, ordinal) => {
    text += copyRow([
      String(ordinal),
      copyText(item.itemId),
      copyText(item.title),
      copyTextArray(item.categories),
      copyText(JSON.stringify(item.attributes)),
    ]);
  });
  return text;
}

async function copyRows(client: ClientBase, statement: string, rows: string): Promise<void> {
  const stream = client.query(copyFrom(statement));
  await pipeline(Readable.from([rows]), stream);
}

async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // The original error explains the failure, so a failed ROLLBACK (a lost connection) is
    // ignored. The server rolls back an open transaction when the session ends.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
