import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Maps external ids to internal bigint ids (as strings). */
export type IdMap = Map<string, string>;

/** One event to insert: the user by external id, the item by internal id. */
export interface EventInsert {
  userExternalId: string;
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
 * Creates missing users and inserts the events in one statement, so the two writes succeed
 * or fail together without an explicit transaction.
 *
 * Events are inserted only when every user id resolved. A user that a concurrent request
 * commits after this statement's snapshot is skipped by ON CONFLICT DO NOTHING and is
 * invisible to the lookup. The statement then inserts no event and runs again, and the
 * next run finds that user.
 *
 * Each user id is one index probe (LATERAL … LIMIT 1), because `external_id = ANY(…)` scanned
 * the table while its statistics lagged, as in a new database (docs/benchmarks.md).
 */
export const INSERT_EVENTS_WITH_USERS = `
  WITH input_users AS (
    SELECT input.external_id, u.id
      FROM unnest($1::text[]) AS input(external_id)
      LEFT JOIN LATERAL (
        SELECT id FROM users WHERE external_id = input.external_id LIMIT 1) u ON true),
  new_users AS (
    INSERT INTO users (external_id)
    SELECT external_id FROM input_users WHERE id IS NULL
    ORDER BY external_id
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id, external_id),
  resolved_users AS (
    SELECT id, external_id FROM input_users WHERE id IS NOT NULL
    UNION ALL
    SELECT id, external_id FROM new_users),
  inserted AS (
    INSERT INTO interactions
      (user_id, item_id, event_type, value, occurred_at, event_id, recommendation_id)
    SELECT u.id, e.item_id, e.event_type, e.value, e.occurred_at, e.event_id,
           e.recommendation_id
    FROM unnest($2::text[], $3::bigint[], $4::text[], $5::float8[], $6::timestamptz[],
                $7::text[], $8::uuid[])
         WITH ORDINALITY AS e(user_external_id, item_id, event_type, value, occurred_at,
                              event_id, recommendation_id, position)
    JOIN resolved_users u ON u.external_id = e.user_external_id
    WHERE (SELECT count(*) FROM resolved_users) = cardinality($1::text[])
    ORDER BY e.position
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1)
  SELECT (SELECT count(*)::int FROM inserted) AS accepted,
         (SELECT count(*)::int FROM resolved_users) AS "resolvedUsers"`;

/** Internal ids of the given external item ids, one index probe each. Unknown ids are absent. */
export const FIND_ITEM_IDS_SQL = `
  SELECT i.id, input.external_id AS "externalId"
    FROM unnest($1::text[]) AS input(external_id)
    JOIN LATERAL (
      SELECT id FROM items WHERE external_id = input.external_id LIMIT 1) i ON true`;

/**
 * Set-based SQL for ingesting events. Each step handles a whole batch in one statement, so
 * a batch of 1,000 events costs a few round trips rather than thousands.
 */
export class InteractionWriter {
  constructor(
    private readonly manager: EntityManager,
    private readonly logger: Logger,
  ) {}

  async findItemIds(externalIds: string[]): Promise<IdMap> {
    const rows: IdRow[] = await this.manager.query(FIND_ITEM_IDS_SQL, [externalIds]);
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
   * Creates the users that do not exist yet and inserts the events, skipping event ids
   * already stored. Returns how many events were inserted.
   */
  async insertEventsWithUsers(events: EventInsert[]): Promise<number> {
    const userIds = [...new Set(events.map((e) => e.userExternalId))].sort();
    const parameters = [
      userIds,
      events.map((e) => e.userExternalId),
      events.map((e) => e.itemId),
      events.map((e) => e.type),
      events.map((e) => e.value),
      events.map((e) => e.occurredAt.toISOString()),
      events.map((e) => e.eventId),
      events.map((e) => e.recommendationId),
    ];
    for (let attempt = 1; ; attempt += 1) {
      const rows: { accepted: number; resolvedUsers: number }[] = await this.manager.query(
        INSERT_EVENTS_WITH_USERS,
        parameters,
      );
      const unresolved = userIds.length - rows[0].resolvedUsers;
      if (unresolved === 0) {
        return rows[0].accepted;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `could not resolve ${unresolved} of ${userIds.length} user ids after ${attempt} attempts`,
        );
      }
      // Expected when concurrent batches share new users, so it is not a warning.
      this.logger.debug(
        `${unresolved} user ids were created by a concurrent request; inserting the events again`,
      );
    }
  }
}

/** SQL access to `interactions`. */
@Injectable()
export class InteractionsRepository {
  private readonly logger = new Logger(InteractionsRepository.name);

  constructor(private readonly dataSource: DataSource) {}

  async findItemIds(externalIds: string[]): Promise<IdMap> {
    return new InteractionWriter(this.dataSource.manager, this.logger).findItemIds(externalIds);
  }

  /**
   * Runs `work` with a writer, in one transaction when `inTransaction` is set. Otherwise each
   * statement commits on its own. Runs `work` again when PostgreSQL aborts it on a deadlock,
   * which two batches that share new users, items or event ids can cause.
   */
  async write<T>(
    inTransaction: boolean,
    work: (writer: InteractionWriter) => Promise<T>,
  ): Promise<T> {
    const run = (): Promise<T> =>
      inTransaction
        ? this.dataSource.transaction((manager) =>
            work(new InteractionWriter(manager, this.logger)),
          )
        : work(new InteractionWriter(this.dataSource.manager, this.logger));
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isDeadlock(error)) {
          throw error;
        }
        this.logger.warn(`deadlock while storing events (attempt ${attempt}); retrying`);
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
