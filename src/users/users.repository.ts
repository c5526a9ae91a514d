import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A row of `users`, with columns renamed to camelCase. */
export interface UserRow {
  id: string;
  externalId: string;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const USER_COLUMNS = `
  id, external_id AS "externalId", attributes,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** SQL access to the `users` table. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts the user or replaces the attributes of an existing one. `created` is true for an
   * insert, because `xmax` is 0 only on a freshly inserted row version.
   */
  async upsert(
    externalId: string,
    attributes: Record<string, unknown>,
  ): Promise<{ user: UserRow; created: boolean }> {
    const rows: (UserRow & { created: boolean })[] = await this.dataSource.query(
      `INSERT INTO users (external_id, attributes) VALUES ($1, $2)
       ON CONFLICT (external_id)
       DO UPDATE SET attributes = EXCLUDED.attributes, updated_at = now()
       RETURNING ${USER_COLUMNS}, (xmax = 0) AS created`,
      [externalId, JSON.stringify(attributes)],
    );
    const { created, ...user } = rows[0];
    return { user, created };
  }

  async findByExternalId(externalId: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM users WHERE external_id = $1`,
      [externalId],
    );
    return rows[0];
  }

  /** Returns up to `limit` users ordered by internal id, starting after `afterId`. */
  async list(afterId: string | undefined, limit: number): Promise<UserRow[]> {
    return this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM users
       WHERE $1::bigint IS NULL OR id > $1::bigint
       ORDER BY id
       LIMIT $2`,
      [afterId ?? null, limit],
    );
  }

  /** Deletes the user and, through ON DELETE CASCADE, its interactions. */
  async deleteByExternalId(externalId: string): Promise<boolean> {
    // Wrapped in a SELECT because TypeORM returns [rows, count] for a bare DELETE.
    const rows: { deleted: number }[] = await this.dataSource.query(
      `WITH deleted AS (DELETE FROM users WHERE external_id = $1 RETURNING id)
       SELECT count(*)::int AS deleted FROM deleted`,
      [externalId],
    );
    return rows[0].deleted > 0;
  }
}
