import { PopularRanking } from './popular-ranking';
import type { PopularItem, RecommendationsRepository } from './recommendations.repository';

/** A repository whose popular query returns the number of the call as the only item. */
function countingRepository(): { repository: RecommendationsRepository; calls: () => number } {
  let calls = 0;
  const repository = {
    findPopular: (): Promise<PopularItem[]> => {
      calls += 1;
      return Promise.resolve([{ itemId: `call-${calls}`, events: 1 }]);
    },
  } as unknown as RecommendationsRepository;
  return { repository, calls: () => calls };
}

describe('PopularRanking', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shares one query while cached', async () => {
    const { repository, calls } = countingRepository();
    const ranking = new PopularRanking(repository, 30, 5000);

    const [first, second] = await Promise.all([ranking.get([]), ranking.get([])]);

    expect(calls()).toBe(1);
    expect(second).toBe(first);
  });

  it('keys the cache by category set', async () => {
    const { repository, calls } = countingRepository();
    const ranking = new PopularRanking(repository, 30, 5000);

    await ranking.get(['a', 'b']);
    await ranking.get(['b', 'a']);
    await ranking.get(['c']);

    expect(calls()).toBe(2);
  });

  it('refreshes an expired ranking in the background', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { repository, calls } = countingRepository();
    const ranking = new PopularRanking(repository, 30, 5000);
    await ranking.get([]);

    jest.setSystemTime(1_000_000 + 6000);
    const stale = await ranking.get([]);
    await Promise.resolve();
    await Promise.resolve();
    const fresh = await ranking.get([]);

    expect(stale[0].itemId).toBe('call-1');
    expect(fresh[0].itemId).toBe('call-2');
    expect(calls()).toBe(2);
  });

  it('queries every time without a cache', async () => {
    const { repository, calls } = countingRepository();
    const ranking = new PopularRanking(repository, 30, 0);

    await ranking.get([]);
    await ranking.get([]);

    expect(calls()).toBe(2);
  });
});
