import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { RecommendationSource, ServedItem, StoredRequest } from './recommendation.types';

/** A user's latest interactions, newest first; `userKey` is null for an unknown user. */
export interface UserHistory {
  userKey: string | null;
  interactions: HistoryInteraction[];
}

export interface HistoryInteraction {
  itemId: string;
  /** Absent when the history was read without titles. */
  title?: string;
  eventType: string;
}

/** Metadata of a candidate item that filtering reads. */
export interface CandidateItem {
  itemId: string;
  title: string;
  categories: string[];
  hidden: boolean;
  /** True when the user has an interaction with the item of a type that counts as seen. */
  seen: boolean;
}

export interface PopularItem {
  itemId: string;
  events: number;
}

/** A served list as stored in `recommendations`. */
export interface StoredList {
  id: string;
  createdAt: Date;
  userId: string;
  modelVersionId: string | null;
  source: RecommendationSource;
  request: StoredRequest;
  items: ServedItem[];
}

export interface NewStoredList {
  userId: string;
  modelVersionId: string | null;
  source: RecommendationSource;
  request: StoredRequest;
  items: ServedItem[];
}

/** Served lists and conversions of one model version (null: lists served without a model). */
export interface AttributionRow {
  modelVersionId: string | null;
  source: RecommendationSource;
  lists: number;
  convertedLists: number;
}

/** Event types that count a served list as converted. */
export const CONVERSION_EVENT_TYPES = ['click', 'purchase'];

const STORED_LIST_COLUMNS = `
  id, created_at AS "createdAt", user_external_id AS "userId",
  model_version_id AS "modelVersionId", source, request, items`;

/**
 * Reads a user's latest `$2` interactions, newest first: one row with null item fields for a
 * user without interactions, and no row for an unknown user.
 */
export const HISTORY_SQL = `
  SELECT u.id AS "userKey", i.external_id AS "itemId", i.title, x.event_type AS "eventType"
    FROM users u
    LEFT JOIN LATERAL (
      SELECT item_id, event_type, occurred_at, id FROM interactions
       WHERE user_id = u.id
       ORDER BY occurred_at DESC, id DESC
       LIMIT $2
    ) x ON true
    LEFT JOIN LATERAL (
      SELECT external_id, title FROM items WHERE id = x.item_id
    ) i ON true
   WHERE u.external_id = $1
   ORDER BY x.occurred_at DESC, x.id DESC`;

/**
 * Like HISTORY_SQL without titles. It returns one row with two arrays, the items' primary keys
 * and the event types, newest first, so the driver builds one row object instead of one per
 * interaction. `RecommendationsRepository` maps the keys to external ids through a cache, so
 * the statement touches no item rows.
 */
export const HISTORY_KEYS_SQL = `
  SELECT u.id AS "userKey",
         coalesce(x.item_keys, '{}') AS "itemKeys",
         coalesce(x.event_types, '{}') AS "eventTypes"
    FROM users u
    CROSS JOIN LATERAL (
      SELECT array_agg(item_id ORDER BY occurred_at DESC, id DESC) AS item_keys,
             array_agg(event_type ORDER BY occurred_at DESC, id DESC) AS event_types
        FROM (
          SELECT item_id, event_type, occurred_at, id FROM interactions
           WHERE user_id = u.id
           ORDER BY occurred_at DESC, id DESC
           LIMIT $2
        ) latest
    ) x
   WHERE u.external_id = $1`;

/** Entries of the item key cache before it starts afresh. */
const ITEM_KEY_CACHE_LIMIT = 1_000_000;

/** A ranked list to filter, page and store in one statement (see `storeFilteredPage`). */
export interface RankedListToStore {
  /** Candidates, best first. */
  candidates: { itemId: string; score: number }[];
  userKey: string;
  seenTypes: readonly string[] | null;
  exclude: readonly string[];
  /** Accepts only items in one of these categories; empty accepts every category. */
  categories: readonly string[];
  skip: number;
  list: Omit<NewStoredList, 'items'>;
}

/**
 * Filters ranked candidates like `takeFiltered` (deleted, hidden, seen, excluded, outside the
 * categories), keeps the page after `$7` accepted items, ranks it from `$9 + 1`, and stores
 * it, all in one statement. It stores nothing and returns no row when fewer than `$7 + $8`
 * candidates pass.
 *
 * Written for the generic plan of a prepared statement: one index probe per candidate, and the
 * seen items hashed once (`NOT IN`), because `NOT EXISTS` compared every pair.
 */
export const STORE_FILTERED_PAGE_SQL = `
  WITH seen AS (
    SELECT item_id FROM interactions
     WHERE user_id = $3 AND ($4::text[] IS NULL OR event_type = ANY($4::text[]))
  ),
  accepted AS (
    SELECT c.position, c.item_id, c.score, i.title, i.categories
      FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS c(item_id, score, position)
      CROSS JOIN LATERAL (
        SELECT id, title, categories FROM items
         WHERE external_id = c.item_id AND NOT hidden
           AND (cardinality($6::text[]) = 0 OR categories && $6::text[])
         LIMIT 1) i
     WHERE NOT (c.item_id = ANY($5::text[]))
       AND i.id NOT IN (SELECT item_id FROM seen)
     ORDER BY c.position
     LIMIT $7::int + $8::int
  ),
  page AS (
    SELECT item_id, score, title, categories,
           row_number() OVER (ORDER BY position) - $7::int + $9::int AS rank, position
      FROM accepted
     ORDER BY position
    OFFSET $7::int
  )
  INSERT INTO recommendations (user_external_id, model_version_id, source, request, items)
  SELECT $10, $11::uuid, $12, $13::jsonb,
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'itemId', item_id, 'score', score, 'title', title,
                   'categories', to_jsonb(categories), 'rank', rank) ORDER BY position),
                 '[]'::jsonb)
            FROM page)
   WHERE (SELECT count(*) FROM accepted) = $7::int + $8::int
  RETURNING id, created_at AS "createdAt", items`;

/** SQL behind `GET /recommendations` and the stored lists. */
@Injectable()
export class RecommendationsRepository {
  /** External id of each item primary key read so far (see `findHistory`). */
  private readonly itemIds = new Map<string, string>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reads the user's `limit` latest interactions in one statement that walks the index
   * `ix_interactions_user_occurred_at` backwards from the newest event. Without `titles`,
   * item ids come from a cache of primary key to external id. A cached entry stays valid
   * because an item's key never changes and is never reused (deleting an item deletes its
   * interactions). Keys not in the cache are read in one more statement.
   */
  async findHistory(
    userId: string,
    limit: number,
    options: { titles?: boolean } = {},
  ): Promise<UserHistory> {
    if (options.titles === false) {
      return this.findHistoryByKeys(userId, limit);
    }
    const rows: {
      userKey: string;
      itemId: string | null;
      title: string | null;
      eventType: string | null;
    }[] = await this.prepared('qrec_history', HISTORY_SQL, [userId, limit]);
    if (rows.length === 0) {
      return { userKey: null, interactions: [] };
    }
    const interactions = rows
      .filter((row) => row.itemId !== null)
      .map((row) => ({
        itemId: row.itemId as string,
        title: row.title as string,
        eventType: row.eventType as string,
      }));
    return { userKey: rows[0].userKey, interactions };
  }

  private async findHistoryByKeys(userId: string, limit: number): Promise<UserHistory> {
    const rows: { userKey: string; itemKeys: string[]; eventTypes: string[] }[] =
      await this.prepared('qrec_history_keys', HISTORY_KEYS_SQL, [userId, limit]);
    if (rows.length === 0) {
      return { userKey: null, interactions: [] };
    }
    const { userKey, itemKeys, eventTypes } = rows[0];
    await this.cacheItemKeys(itemKeys);
    const interactions: HistoryInteraction[] = [];
    itemKeys.forEach((key, i) => {
      const itemId = this.itemIds.get(key);
      if (itemId !== undefined) {
        interactions.push({ itemId, eventType: eventTypes[i] });
      }
    });
    return { userKey, interactions };
  }

  /** Reads the external ids of the keys that are not cached yet. */
  private async cacheItemKeys(keys: readonly string[]): Promise<void> {
    const missing = [...new Set(keys.filter((key) => !this.itemIds.has(key)))];
    if (missing.length === 0) {
      return;
    }
    const found: { key: string; itemId: string }[] = await this.dataSource.query(
      `SELECT id AS key, external_id AS "itemId" FROM items WHERE id = ANY($1::bigint[])`,
      [missing],
    );
    if (this.itemIds.size + found.length > ITEM_KEY_CACHE_LIMIT) {
      this.itemIds.clear();
    }
    for (const row of found) {
      this.itemIds.set(String(row.key), row.itemId);
    }
  }

  /**
   * Reads title, categories and the hidden flag of the given items, and whether the user has
   * seen each, in one statement. Deleted and unknown ids are absent from the result.
   * `seenTypes` null counts every event type as seen.
   */
  async findCandidates(
    itemIds: readonly string[],
    userKey: string | null,
    seenTypes: readonly string[] | null,
  ): Promise<CandidateItem[]> {
    if (itemIds.length === 0) {
      return [];
    }
    return this.prepared<CandidateItem>(
      'qrec_candidates',
      `WITH seen AS (
         SELECT DISTINCT item_id FROM interactions
          WHERE user_id = $2 AND ($3::text[] IS NULL OR event_type = ANY($3::text[]))
       )
       SELECT i.external_id AS "itemId", i.title, i.categories, i.hidden,
              (s.item_id IS NOT NULL) AS seen
         FROM items i
         LEFT JOIN seen s ON s.item_id = i.id
        WHERE i.external_id = ANY($1::text[])`,
      [itemIds, userKey, seenTypes],
    );
  }

  /**
   * Ranks visible items by their number of interactions since `since` (all time when null),
   * only in the given categories when `categories` is not null.
   */
  async findPopular(
    since: Date | null,
    categories: readonly string[] | null,
    limit: number,
  ): Promise<PopularItem[]> {
    return this.dataSource.query(
      `SELECT i.external_id AS "itemId", count(*)::int AS events
         FROM interactions x
         JOIN items i ON i.id = x.item_id
        WHERE ($1::timestamptz IS NULL OR x.occurred_at >= $1)
          AND NOT i.hidden
          AND ($2::text[] IS NULL OR i.categories && $2::text[])
        GROUP BY i.external_id
        ORDER BY events DESC, i.external_id
        LIMIT $3`,
      [since, categories, limit],
    );
  }

  /** Stores a served list in one INSERT and returns its id and time. */
  async insertList(list: NewStoredList): Promise<{ id: string; createdAt: Date }> {
    const rows: { id: string; createdAt: Date }[] = await this.prepared(
      'qrec_insert_list',
      `INSERT INTO recommendations (user_external_id, model_version_id, source, request, items)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING id, created_at AS "createdAt"`,
      [
        list.userId,
        list.modelVersionId,
        list.source,
        JSON.stringify(list.request),
        JSON.stringify(list.items),
      ],
    );
    return rows[0];
  }

  /**
   * Filters, pages and stores a ranked list in one statement. Returns null, and stores
   * nothing, when too few candidates pass, so the caller must look further down the ranking.
   */
  async storeFilteredPage(
    ranked: RankedListToStore,
    n: number,
    offset: number,
  ): Promise<{ id: string; createdAt: Date; items: ServedItem[] } | null> {
    const rows: { id: string; createdAt: Date; items: ServedItem[] }[] = await this.prepared(
      'qrec_store_filtered_page',
      STORE_FILTERED_PAGE_SQL,
      [
        ranked.candidates.map((candidate) => candidate.itemId),
        ranked.candidates.map((candidate) => candidate.score),
        ranked.userKey,
        ranked.seenTypes,
        ranked.exclude,
        ranked.categories,
        ranked.skip,
        n,
        offset,
        ranked.list.userId,
        ranked.list.modelVersionId,
        ranked.list.source,
        JSON.stringify(ranked.list.request),
      ],
    );
    if (rows.length === 0) {
      return null;
    }
    const row = rows[0];
    // jsonb reorders keys, so the items are rebuilt in the key order of the other paths.
    const items = row.items.map((item) => ({
      itemId: item.itemId,
      score: item.score,
      title: item.title,
      categories: item.categories,
      rank: Number(item.rank),
    }));
    return { id: row.id, createdAt: row.createdAt, items };
  }

  /**
   * Runs a statement of the request path as a named prepared statement, which each pooled
   * connection parses once instead of on every request.
   * NOTE: a pooler in transaction mode breaks named statements unless it tracks them
   * (PgBouncer 1.21 or later with `max_prepared_statements` set).
   */
  private async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const result = await pool.query<T & QueryResultRow>({ name, text, values });
    return result.rows;
  }

  /** Reads a stored list, prepared like the statements of the model route it is compared with. */
  async findList(id: string): Promise<StoredList | null> {
    const rows: StoredList[] = await this.prepared(
      'qrec_find_list',
      `SELECT ${STORED_LIST_COLUMNS} FROM recommendations WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Returns the ids of items served to the user, within the last `windowSeconds`, on pages
   * before `offset` of lists requested with the same `pageKey`.
   */
  async findServedOnEarlierPages(
    userId: string,
    pageKey: string,
    offset: number,
    windowSeconds: number,
  ): Promise<string[]> {
    const rows: { itemId: string }[] = await this.dataSource.query(
      `SELECT DISTINCT item ->> 'itemId' AS "itemId"
         FROM recommendations r, jsonb_array_elements(r.items) item
        WHERE r.user_external_id = $1
          AND r.created_at > now() - make_interval(secs => $4)
          AND r.request ->> 'pageKey' = $2
          AND (r.request ->> 'offset')::int < $3`,
      [userId, pageKey, offset, windowSeconds],
    );
    return rows.map((row) => row.itemId);
  }

  /** Counts served lists and those with a click or purchase, per model version and source. */
  async countConversions(since: Date | null): Promise<AttributionRow[]> {
    return this.dataSource.query(
      `SELECT r.model_version_id AS "modelVersionId", r.source,
              count(*)::int AS lists,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM interactions x
                 WHERE x.recommendation_id = r.id AND x.event_type = ANY($2::text[])
              ))::int AS "convertedLists"
         FROM recommendations r
        WHERE $1::timestamptz IS NULL OR r.created_at >= $1
        GROUP BY r.model_version_id, r.source
        ORDER BY lists DESC`,
      [since, CONVERSION_EVENT_TYPES],
    );
  }

  /** Deletes lists created more than `days` days ago; returns how many it deleted. */
  async deleteOlderThan(days: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM recommendations WHERE created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return result[1];
  }
}
