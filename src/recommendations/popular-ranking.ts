import type { PopularItem, RecommendationsRepository } from './recommendations.repository';

/** Length of a popularity ranking; filters and pages draw from these items. */
export const POPULAR_RANKING_SIZE = 1000;

const MS_PER_DAY = 24 * 60 * 60 * 1000;

interface CachedRanking {
  expiresAt: number;
  ranking: Promise<PopularItem[]>;
}

/**
 * The most popular visible items of the last `windowDays` days (all time when that window has
 * no events), per category set. Rankings are reused for `cacheMs`. Only the order is cached:
 * every request still reads hidden flags and deletions fresh, so a hidden item disappears at
 * once, while an item unhidden in the meantime can be missing for up to `cacheMs`.
 */
export class PopularRanking {
  private readonly cache = new Map<string, CachedRanking>();

  constructor(
    private readonly repository: RecommendationsRepository,
    private readonly windowDays: number,
    private readonly cacheMs: number,
  ) {}

  get(categories: readonly string[]): Promise<PopularItem[]> {
    const key = [...categories].sort().join('\u0000');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expiresAt > now) {
      return cached.ranking;
    }

    const ranking = this.load(categories.length === 0 ? null : categories);
    if (this.cacheMs > 0) {
      this.cache.set(key, { expiresAt: now + this.cacheMs, ranking });
      // A failed query must not stay cached.
      ranking.catch(() => this.cache.delete(key));
      this.dropExpired(now);
    }
    return ranking;
  }

  private async load(categories: readonly string[] | null): Promise<PopularItem[]> {
    const since = new Date(Date.now() - this.windowDays * MS_PER_DAY);
    const recent = await this.repository.findPopular(since, categories, POPULAR_RANKING_SIZE);
    if (recent.length > 0) {
      return recent;
    }
    return this.repository.findPopular(null, categories, POPULAR_RANKING_SIZE);
  }

  private dropExpired(now: number): void {
    for (const [key, entry] of this.cache) {
      if (entry.expiresAt <= now) {
        this.cache.delete(key);
      }
    }
  }
}
