import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { StringDecoder } from 'node:string_decoder';
import type { DataSource, QueryRunner } from 'typeorm';
import { SequenceSource, UserSequence } from './sequence-source';

export interface PostgresSequenceSourceOptions {
  /** Latest `occurred_at` to read; default: the time the snapshot was taken. */
  cutoff?: Date;
}

/**
 * Streams every user's interactions from the `interactions` table, ordered by user, then
 * `occurred_at`, then id, with item and user external ids. Rows are read with
 * `COPY (SELECT …) TO STDOUT`, so the whole table never passes through the ORM or sits in
 * memory at once. Interactions with hidden items are included, because they are still
 * part of a user's history.
 *
 * The source keeps one connection open in a REPEATABLE READ, READ ONLY transaction, so
 * every pass over `sequences()` sees the same rows. Call `close()` when done.
 */
export class PostgresSequenceSource implements SequenceSource {
  private closed = false;

  private constructor(
    private readonly queryRunner: QueryRunner,
    private readonly client: PoolClient,
    /** Latest `occurred_at` included, at millisecond precision. */
    readonly cutoff: Date,
  ) {}

  /** Opens a connection and a snapshot. The cut-off defaults to the snapshot's time. */
  static async open(
    dataSource: DataSource,
    options: PostgresSequenceSourceOptions = {},
  ): Promise<PostgresSequenceSource> {
    const queryRunner = dataSource.createQueryRunner();
    const client = (await queryRunner.connect()) as PoolClient;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // JavaScript dates carry milliseconds, so the default cut-off is truncated to them and
      // the stored cut-off describes exactly the rows that were read.
      const rows = await client.query<{ cutoff: Date }>(
        `SELECT date_trunc('milliseconds', now()) AS cutoff`,
      );
      return new PostgresSequenceSource(queryRunner, client, options.cutoff ?? rows.rows[0].cutoff);
    } catch (error) {
      await queryRunner.release();
      throw error;
    }
  }

  async *sequences(): AsyncGenerator<UserSequence> {
    if (this.closed) {
      throw new Error('the PostgreSQL sequence source is closed');
    }
    const cutoff = this.client.escapeLiteral(this.cutoff.toISOString());
    const stream = this.client.query(
      copyTo(`COPY (
        SELECT u.external_id, it.external_id, i.event_type
          FROM interactions i
          JOIN users u ON u.id = i.user_id
          JOIN items it ON it.id = i.item_id
         WHERE i.occurred_at <= ${cutoff}::timestamptz
         ORDER BY i.user_id, i.occurred_at, i.id
      ) TO STDOUT`),
    );

    let current: UserSequence | null = null;
    for await (const [userId, itemId, eventType] of copyRows(stream)) {
      if (current === null || current.userId !== userId) {
        if (current !== null) {
          yield current;
        }
        current = { userId, itemIds: [], eventTypes: [] };
      }
      current.itemIds.push(itemId);
      current.eventTypes?.push(eventType);
    }
    if (current !== null) {
      yield current;
    }
  }

  /** Ends the snapshot and returns the connection to the pool. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    try {
      await this.client.query('ROLLBACK');
    } finally {
      await this.queryRunner.release();
    }
  }
}

/** Splits COPY text-format output into rows of decoded column values. */
async function* copyRows(stream: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of stream) {
    pending += decoder.write(chunk);
    let end = pending.indexOf('\n');
    let start = 0;
    while (end !== -1) {
      yield pending.slice(start, end).split('\t').map(decodeCopyText);
      start = end + 1;
      end = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending.length > 0) {
    throw new Error(`COPY output ended inside a row: ${JSON.stringify(pending.slice(0, 80))}`);
  }
}

const COPY_ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Decodes one value of PostgreSQL's COPY text format. A backslash followed by b, f, n, r, t
 * or v is that control character. Followed by 1 to 3 octal digits, or by x and 1 to 2 hex
 * digits, it is that byte value, and followed by any other character, that character. The
 * NULL marker `\N` is not handled, because every column read here is NOT NULL.
 */
export function decodeCopyText(value: string): string {
  if (!value.includes('\\')) {
    return value;
  }
  return value.replace(
    /\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g,
    (_match, octal?: string, hex?: string, other?: string) => {
      if (octal !== undefined) {
        return String.fromCharCode(parseInt(octal, 8));
      }
      if (hex !== undefined) {
        return String.fromCharCode(parseInt(hex, 16));
      }
      return COPY_ESCAPES[other as string] ?? (other as string);
    },
  );
}
