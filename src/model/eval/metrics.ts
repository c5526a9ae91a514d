/** HR@K for one user: 1 when the target's rank (1-based) is at most K, else 0. */
export function hitRate(rank: number, k: number): number {
  return rank <= k ? 1 : 0;
}

/**
 * NDCG@K for one user with a single relevant item: 1 / log2(rank + 1) when rank <= K, else 0.
 * The ideal DCG is 1, because the one relevant item would sit at rank 1.
 */
export function ndcg(rank: number, k: number): number {
  return rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

/** Reciprocal rank for one user, from the target's full rank (not cut at K). */
export function reciprocalRank(rank: number): number {
  return 1 / rank;
}
