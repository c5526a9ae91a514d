/**
 * Ranking order used everywhere in evaluation: higher score first, and on equal scores the
 * lower item index first. A fixed tie-break keeps the top-K list and the full rank of the
 * target consistent, so HR@K equals "rank <= K" exactly.
 */
export function ranksBefore(
  scoreA: number,
  indexA: number,
  scoreB: number,
  indexB: number,
): boolean {
  return scoreA > scoreB || (scoreA === scoreB && indexA < indexB);
}

/**
 * Selects the top `k` items of one score row by partial selection with a size-k min-heap,
 * O(N log k). `row[i]` is item i's score; index 0 (padding) and items with `excluded[i]` set
 * are skipped. Returns item indices best first; fewer than `k` when fewer items remain.
 */
export function selectTopK(row: Float32Array, k: number, excluded: Uint8Array): Int32Array {
  const heapItems = new Int32Array(k);
  const heapScores = new Float64Array(k);
  let heapSize = 0;

  for (let item = 1; item < row.length; item += 1) {
    if (excluded[item] === 1) {
      continue;
    }
    const score = row[item];
    if (heapSize < k) {
      heapItems[heapSize] = item;
      heapScores[heapSize] = score;
      heapSize += 1;
      siftUp(heapItems, heapScores, heapSize - 1);
    } else if (ranksBefore(score, item, heapScores[0], heapItems[0])) {
      heapItems[0] = item;
      heapScores[0] = score;
      siftDown(heapItems, heapScores, heapSize);
    }
  }

  return sortBestFirst(heapItems.subarray(0, heapSize), heapScores.subarray(0, heapSize));
}

// The heap root is the worst of the kept items, so a better candidate replaces it.
function isWorse(items: Int32Array, scores: Float64Array, a: number, b: number): boolean {
  return ranksBefore(scores[b], items[b], scores[a], items[a]);
}

function siftUp(items: Int32Array, scores: Float64Array, start: number): void {
  let child = start;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!isWorse(items, scores, child, parent)) {
      return;
    }
    swap(items, scores, child, parent);
    child = parent;
  }
}

function siftDown(items: Int32Array, scores: Float64Array, size: number): void {
  let parent = 0;
  for (;;) {
    const left = 2 * parent + 1;
    const right = left + 1;
    let worst = parent;
    if (left < size && isWorse(items, scores, left, worst)) {
      worst = left;
    }
    if (right < size && isWorse(items, scores, right, worst)) {
      worst = right;
    }
    if (worst === parent) {
      return;
    }
    swap(items, scores, parent, worst);
    parent = worst;
  }
}

function swap(items: Int32Array, scores: Float64Array, a: number, b: number): void {
  const item = items[a];
  items[a] = items[b];
  items[b] = item;
  const score = scores[a];
  scores[a] = scores[b];
  scores[b] = score;
}

function sortBestFirst(items: Int32Array, scores: Float64Array): Int32Array {
  const order = Array.from(items.keys()).sort((a, b) =>
    ranksBefore(scores[a], items[a], scores[b], items[b]) ? -1 : 1,
  );
  return Int32Array.from(order, (position) => items[position]);
}
