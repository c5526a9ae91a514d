import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A row of `items`, with columns renamed to camelCase. */
export interface ItemRow {
  id: string;
  externalId: string;
  title: string;
  categories: string[];
  attributes: Record<string, unknown>;
  hidden: boolean;
  publishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Every stored field of an item, as written by a create or replace. */
export interface ItemInput {
  externalId: string;
  title: string;
  categories: string[];
  attributes: Record<string, unknown>;
  hidden: boolean;
  publishedAt: Date | null;
}

/** Fields of a partial update. A field left undefined keeps its stored value. */
export type ItemChanges = Partial<Omit<ItemInput, 'externalId'>>;

const ITEM_COLUMNS = `
  id, external_id AS "externalId", title, categories, attributes, hidden,
  published_at AS "publishedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

const CHANGE_COLUMNS: Record<keyof ItemChanges, string> = {
  title: 'title',
  categories: 'categories',
  attributes: 'attributes',
  hidden: 'hidden',
  publishedAt: 'published_at',
};

/** SQL access to the `items` table. */
@Injectable()
export class ItemsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts the item or replaces every field of an existing one. `created` is true for an
   * insert, which `xmax = 0` identifies.
   */
  async upsert(item: ItemInput): Promise<{ item: ItemRow; created: boolean }> {
    const rows: (ItemRow & { created: boolean })[] = await this.dataSource.query(
      `INSERT INTO items (external_id, title, categories, attributes, hidden, published_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (external_id) DO UPDATE SET
         title = EXCLUDED.title, categories = EXCLUDED.categories,
         attributes = EXCLUDED.attributes, hidden = EXCLUDED.hidden,
         published_at = EXCLUDED.published_at, updated_at = now()
       RETURNING ${ITEM_COLUMNS}, (xmax = 0) AS created`,
      [
        item.externalId,
        item.title,
        item.categories,
        JSON.stringify(item.attributes),
        item.hidden,
        item.publishedAt,
      ],
    );
    const { created, ...row } = rows[0];
    return { item: row, created };
  }

  /**
   * Upserts many items in one statement, so the batch is stored entirely or not at all.
   * External ids must be distinct, because PostgreSQL rejects an ON CONFLICT DO UPDATE that
   * touches the same row twice.
   */
  async bulkUpsert(items: ItemInput[]): Promise<{ created: number; updated: number }> {
    const records = items.map((item) => ({
      external_id: item.externalId,
      title: item.title,
      categories: item.categories,
      attributes: item.attributes,
      hidden: item.hidden,
      published_at: item.publishedAt?.toISOString() ?? null,
    }));
    const rows: { created: number; updated: number }[] = await this.dataSource.query(
      `WITH written AS (
         INSERT INTO items (external_id, title, categories, attributes, hidden, published_at)
         SELECT r.external_id, r.title, r.categories, r.attributes, r.hidden, r.published_at
         FROM jsonb_to_recordset($1::jsonb) AS r(
           external_id varchar, title varchar, categories text[], attributes jsonb,
           hidden boolean, published_at timestamptz)
         ORDER BY r.external_id
         ON CONFLICT (external_id) DO UPDATE SET
           title = EXCLUDED.title, categories = EXCLUDED.categories,
           attributes = EXCLUDED.attributes, hidden = EXCLUDED.hidden,
           published_at = EXCLUDED.published_at, updated_at = now()
         RETURNING (xmax = 0) AS created)
       SELECT count(*) FILTER (WHERE created)::int AS created,
              count(*) FILTER (WHERE NOT created)::int AS updated
       FROM written`,
      [JSON.stringify(records)],
    );
    return rows[0];
  }

  /** Applies the given changes. Returns undefined when no item has the id. */
  async update(externalId: string, changes: ItemChanges): Promise<ItemRow | undefined> {
    const assignments: string[] = [];
    const values: unknown[] = [externalId];
    for (const [field, column] of Object.entries(CHANGE_COLUMNS)) {
      const value = changes[field as keyof ItemChanges];
      if (value !== undefined) {
        values.push(field === 'attributes' ? JSON.stringify(value) : value);
        assignments.push(`${column} = $${values.length}`);
      }
    }
    // Wrapped in a SELECT because TypeORM returns [rows, count] for a bare UPDATE.
    const rows: ItemRow[] = await this.dataSource.query(
      `WITH updated AS (
         UPDATE items SET ${[...assignments, 'updated_at = now()'].join(', ')}
         WHERE external_id = $1
         RETURNING ${ITEM_COLUMNS})
       SELECT * FROM updated`,
      values,
    );
    return rows[0];
  }

  async findByExternalId(externalId: string): Promise<ItemRow | undefined> {
    const rows: ItemRow[] = await this.dataSource.query(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE external_id = $1`,
      [externalId],
    );
    return rows[0];
  }

  /**
   * Returns up to `limit` items ordered by internal id, starting after `afterId`, optionally
   * only those in `category`. The `@>` test can use the GIN index ix_items_categories.
   * PostgreSQL 18 picks that index for selective categories. For common ones it walks the
   * primary key and filters, which is cheaper under the LIMIT.
   */
  async list(
    category: string | undefined,
    afterId: string | undefined,
    limit: number,
  ): Promise<ItemRow[]> {
    const conditions = ['($1::bigint IS NULL OR id > $1::bigint)'];
    const values: unknown[] = [afterId ?? null, limit];
    if (category !== undefined) {
      values.push([category]);
      conditions.push(`categories @> $${values.length}::text[]`);
    }
    return this.dataSource.query(
      `SELECT ${ITEM_COLUMNS} FROM items
       WHERE ${conditions.join(' AND ')}
       ORDER BY id
       LIMIT $2`,
      values,
    );
  }

  /** Deletes the item and, through ON DELETE CASCADE, its interactions. */
  async deleteByExternalId(externalId: string): Promise<boolean> {
    // Wrapped in a SELECT because TypeORM returns [rows, count] for a bare DELETE.
    const rows: { deleted: number }[] = await this.dataSource.query(
      `WITH deleted AS (DELETE FROM items WHERE external_id = $1 RETURNING id)
       SELECT count(*)::int AS deleted FROM deleted`,
      [externalId],
    );
    return rows[0].deleted > 0;
  }
}
