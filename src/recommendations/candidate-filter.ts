import type { CandidateItem } from './recommendations.repository';

/** An item proposed by a ranking, before filtering. */
export interface Candidate {
  itemId: string;
  score: number;
  /** Index of the item in the model's vocabulary; absent for the popularity ranking. */
  modelIndex?: number;
}

/** A candidate that passed every filter, with the metadata the response shows. */
export interface AcceptedCandidate extends Candidate {
  title: string;
  categories: string[];
}

export interface FilterRules {
  /** Item ids that must not appear: the request's `exclude` and items of earlier pages. */
  exclude: ReadonlySet<string>;
  /** Accept only items in at least one of these categories; empty accepts every category. */
  categories: readonly string[];
}

/** Reads candidate metadata (and the user's seen flag) for a chunk of item ids. */
export type CandidateLookup = (itemIds: string[]) => Promise<CandidateItem[]>;

/**
 * Pulls chunks of ranked candidates until `count` of them pass the filters: not excluded,
 * not deleted (absent from the lookup), not hidden, not seen by the user, and in one of the
 * requested categories. Keeps the ranking's order and skips ids already considered, so a
 * later chunk may repeat an earlier one.
 */
export async function takeFiltered(
  chunks: Iterable<Candidate[]> | AsyncIterable<Candidate[]>,
  count: number,
  lookup: CandidateLookup,
  rules: FilterRules,
): Promise<AcceptedCandidate[]> {
  const accepted: AcceptedCandidate[] = [];
  const considered = new Set<string>();
  if (count <= 0) {
    return accepted;
  }
  for await (const chunk of chunks) {
    const fresh = chunk.filter((candidate) => {
      const isNew = !considered.has(candidate.itemId) && !rules.exclude.has(candidate.itemId);
      considered.add(candidate.itemId);
      return isNew;
    });
    const metadata = await lookup(fresh.map((candidate) => candidate.itemId));
    const byId = new Map(metadata.map((item) => [item.itemId, item]));
    for (const candidate of fresh) {
      const item = byId.get(candidate.itemId);
      if (item !== undefined && passes(item, rules.categories)) {
        accepted.push({ ...candidate, title: item.title, categories: item.categories });
        if (accepted.length === count) {
          return accepted;
        }
      }
    }
  }
  return accepted;
}

function passes(item: CandidateItem, categories: readonly string[]): boolean {
  if (item.hidden || item.seen) {
    return false;
  }
  return (
    categories.length === 0 || item.categories.some((category) => categories.includes(category))
  );
}
