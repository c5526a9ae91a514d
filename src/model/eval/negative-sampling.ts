import { SeededRandom } from './random';

/**
 * Draws `count` distinct negatives uniformly from items 1..itemCount, skipping the target and
 * every item with `excluded[i]` set (the user's history). Throws when too few items remain.
 */
export function sampleNegatives(
  random: SeededRandom,
  itemCount: number,
  excluded: Uint8Array,
  target: number,
  count: number,
): Int32Array {
  const candidates = countCandidates(itemCount, excluded, target);
  if (candidates < count) {
    throw new Error(
      `cannot sample ${count} negatives: only ${candidates} items are outside the user's ` +
        `history and target; lower the number of sampled negatives`,
    );
  }
  // Rejection sampling is fast while most items are candidates; otherwise a partial shuffle
  // of the explicit candidate list avoids long runs of rejected draws.
  return candidates >= 2 * count
    ? sampleByRejection(random, itemCount, excluded, target, count)
    : sampleByShuffle(random, itemCount, excluded, target, count);
}

function isCandidate(item: number, excluded: Uint8Array, target: number): boolean {
  return item !== target && excluded[item] !== 1;
}

function countCandidates(itemCount: number, excluded: Uint8Array, target: number): number {
  let candidates = 0;
  for (let item = 1; item <= itemCount; item += 1) {
    if (isCandidate(item, excluded, target)) {
      candidates += 1;
    }
  }
  return candidates;
}

function sampleByRejection(
  random: SeededRandom,
  itemCount: number,
  excluded: Uint8Array,
  target: number,
  count: number,
): Int32Array {
  const chosen = new Set<number>();
  while (chosen.size < count) {
    const item = 1 + random.nextInt(itemCount);
    if (isCandidate(item, excluded, target)) {
      chosen.add(item);
    }
  }
  return Int32Array.from(chosen);
}

function sampleByShuffle(
  random: SeededRandom,
  itemCount: number,
  excluded: Uint8Array,
  target: number,
  count: number,
): Int32Array {
  const pool: number[] = [];
  for (let item = 1; item <= itemCount; item += 1) {
    if (isCandidate(item, excluded, target)) {
      pool.push(item);
    }
  }
  for (let position = 0; position < count; position += 1) {
    const swapWith = position + random.nextInt(pool.length - position);
    [pool[position], pool[swapWith]] = [pool[swapWith], pool[position]];
  }
  return Int32Array.from(pool.slice(0, count));
}
