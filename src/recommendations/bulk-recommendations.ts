import type { DataSource } from 'typeorm';
import type { RecommendationList } from './recommendation.types';
import type { RecommendationsService } from './recommendations.service';

export interface BulkRecommendationOptions {
  /** Items per user. */
  n: number;
  /** Users whose requests run concurrently, so that the batcher groups them. */
  batchSize: number;
  /** Receives each list, in user order. */
  write: (list: RecommendationList) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

export interface BulkRecommendationSummary {
  users: number;
  fromModel: number;
  fromPopular: number;
}

/**
 * Serves and stores a list for every user through the same service as the API. Users are
 * read in id order by keyset pagination, a batch at a time, and each batch's requests run
 * concurrently.
 */
export async function recommendForAllUsers(
  dataSource: DataSource,
  service: RecommendationsService,
  options: BulkRecommendationOptions,
): Promise<BulkRecommendationSummary> {
  const [{ total }]: { total: number }[] = await dataSource.query(
    'SELECT count(*)::int AS total FROM users',
  );
  const summary: BulkRecommendationSummary = { users: 0, fromModel: 0, fromPopular: 0 };
  let lastKey = '0';
  options.onProgress?.(0, total);

  for (;;) {
    const users: { key: string; userId: string }[] = await dataSource.query(
      `SELECT id AS key, external_id AS "userId" FROM users WHERE id > $1 ORDER BY id LIMIT $2`,
      [lastKey, options.batchSize],
    );
    if (users.length === 0) {
      return summary;
    }
    const lists = await Promise.all(
      users.map((user) =>
        service.recommend({
          userId: user.userId,
          n: options.n,
          offset: 0,
          categories: [],
          exclude: [],
          explain: false,
        }),
      ),
    );
    for (const list of lists) {
      await options.write(list);
      summary.users += 1;
      if (list.source === 'model') {
        summary.fromModel += 1;
      } else {
        summary.fromPopular += 1;
      }
    }
    lastKey = users[users.length - 1].key;
    options.onProgress?.(summary.users, Math.max(total, summary.users));
  }
}
