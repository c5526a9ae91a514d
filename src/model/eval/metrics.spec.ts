import { hitRate, ndcg, reciprocalRank } from './metrics';

describe('ranking metrics', () => {
  it('gives NDCG 1 at rank 1', () => {
    expect(ndcg(1, 10)).toBe(1);
  });

  it('gives NDCG 1/log2(4) at rank 3', () => {
    expect(ndcg(3, 10)).toBeCloseTo(1 / Math.log2(4), 12);
    expect(ndcg(3, 10)).toBeCloseTo(0.5, 12);
  });

  it('gives NDCG 0 beyond K', () => {
    expect(ndcg(11, 10)).toBe(0);
  });

  it('counts a hit up to rank K', () => {
    expect(hitRate(10, 10)).toBe(1);
    expect(hitRate(11, 10)).toBe(0);
  });

  it('uses the full rank for MRR', () => {
    expect(reciprocalRank(4)).toBe(0.25);
    expect(reciprocalRank(50)).toBe(0.02);
  });
});
