import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Maps external ids to internal bigint ids (as strings). */
export type IdMap = Map<string, string>;

/** One row to insert into `interactions`, with internal user and item ids. */
export interface InteractionInsert {
  userId: string;
  itemId: string;
  type: string;
  value: number | null;
  occurredAt: Date;
  eventId: string | null;
  recommendationId: string | null;
}

/** A stored interaction as listed for a user, with the item's external id. */
export interface InteractionRow {
  id: string;
  itemId: string;
  type: string;
  value: number | null;
  occurredAt: Date;
  eventId: string | null;
  recommendationId: string | null;
  occurredAtMicros: string;
}

interface IdRow {
  id: string;
  externalId: string;
}

const DEADLOCK_DETECTED = '40P01';
const MAX_ATTEMPTS = 3;

/**
 * Set-based SQL for ingesting events: each step handles a whole batch in one statement, so
 * a batch of 1,000 events costs a handful of round trips rather than thousands.
 */
export class InteractionWriter {
  constructor(private readonly manager: EntityManager) {}

  async findItemIds(externalIds: string[]): Promise<IdMap> {
    const rows: IdRow[] = await this.manager.query(
      `SELECT id, external_id AS "externalId" FROM items WHERE external_id = ANY($1::text[])`,
      [externalIds],
    );
    return toIdMap(rows);
  }

  /**
   * Creates items named only by id (the id doubles as the title) and returns the ids of all
   * of them, including any that a concurrent request created first.
   */
  async createItems(externalIds: string[]): Promise<IdMap> {
    const sorted = [...externalIds].sort();
    await this.manager.query(
      `INSERT INTO items (external_id, title)
       SELECT id, id FROM unnest($1::text[]) AS input(id)
       ORDER BY id
       ON CONFLICT (external_id) DO NOTHING`,
      [sorted],
    );
    return this.findItemIds(sorted);
  }

  /**
   * Creates the users that do not exist yet and returns the internal ids of all of them.
   * Inserting in sorted order keeps concurrent batches from locking rows in opposite orders.
   */
  async upsertUsers(externalIds: string[]): Promise<IdMap> {
    const sorted = [...externalIds].sort();
    const rows: IdRow[] = await this.manager.query(
      `WITH input AS (SELECT unnest($1::text[]) AS external_id),
       inserted AS (
         INSERT INTO users (external_id)
         SELECT external_id FROM input ORDER BY external_id
         ON CONFLICT (external_id) DO NOTHING
         RETURNING id, external_id)
       SELECT id, external_id AS "externalId" FROM inserted
       UNION ALL
       SELECT u.id, u.external_id FROM users u JOIN input USING (external_id)`,
      [sorted],
    );
    const ids = toIdMap(rows);
    // A user committed by a concurrent request after this statement's snapshot is in
    // neither half of the UNION; a new statement sees it.
    const missing = sorted.filter((id) => !ids.has(id));
    if (missing.length > 0) {
      const late: IdRow[] = await this.manager.query(
        `SELECT id, external_id AS "externalId" FROM users WHERE external_id = ANY($1::text[])`,
        [missing],
      );
      late.forEach((row) => ids.set(row.externalId, row.id));
    }
    return ids;
  }

  /** Inserts the events in one statement; returns how many were new (not seen event ids). */
  async insertEvents(events: InteractionInsert[]): Promise<number> {
    const rows: { accepted: number }[] = await this.manager.query(
      `WITH inserted AS (
         INSERT INTO interactions
           (user_id, item_id, event_type, value, occurred_at, event_id, recommendation_id)
         SELECT * FROM unnest(
           $1::bigint[], $2::bigint[], $3::text[], $4::float8[], $5::timestamptz[],
           $6::text[], $7::uuid[])
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS accepted FROM inserted`,
      [
        events.map((e) => e.userId),
        events.map((e) => e.itemId),
        events.map((e) => e.type),
        events.map((e) => e.value),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => e.eventId),
        events.map((e) => e.recommendationId),
      ],
    );
    return rows[0].accepted;
  }
}

/** SQL access to `interactions`. */
@Injectable()
export class InteractionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction, so a batch is stored entirely or not at all. Retries
   * when PostgreSQL aborts the transaction on a deadlock, which two batches that share
   * new users, items or event ids can cause.
   */
  async transaction<T>(work: (writer: InteractionWriter) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.dataSource.transaction((manager) => work(new InteractionWriter(manager)));
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isDeadlock(error)) {
          throw error;
        }
      }
    }
  }

  async findUserId(externalId: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM users WHERE external_id = $1`,
      [externalId],
    );
    return rows[0]?.id;
  }

  /**
   * Returns up to `limit` interactions of a user, newest first, starting after the
   * (occurred_at, id) key of the previous page. Served by ix_interactions_user_occurred_at.
   */
  async listForUser(
    userId: string,
    after: { occurredAtMicros: string; id: string } | undefined,
    limit: number,
  ): Promise<InteractionRow[]> {
    const values: unknown[] = [userId, limit];
    let keyCondition = '';
    if (after !== undefined) {
      values.push(after.occurredAtMicros, after.id);
      keyCondition = `AND (i.occurred_at, i.id) <
        (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::bigint)`;
    }
    return this.dataSource.query(
      `SELECT i.id, it.external_id AS "itemId", i.event_type AS type, i.value,
              i.occurred_at AS "occurredAt", i.event_id AS "eventId",
              i.recommendation_id AS "recommendationId",
              (extract(epoch FROM i.occurred_at) * 1000000)::bigint::text AS "occurredAtMicros"
       FROM interactions i
       JOIN items it ON it.id = i.item_id
       WHERE i.user_id = $1 ${keyCondition}
       ORDER BY i.occurred_at DESC, i.id DESC
       LIMIT $2`,
      values,
    );
  }
}

function toIdMap(rows: IdRow[]): IdMap {
  return new Map(rows.map((row) => [row.externalId, row.id]));
}

function isDeadlock(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown } }).driverError;
  return driverError?.code === DEADLOCK_DETECTED;
}
