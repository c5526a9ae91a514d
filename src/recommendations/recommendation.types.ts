/** `model`: ranked by the active model; `popular`: the popularity fallback. */
export type RecommendationSource = 'model' | 'popular';

/** Reason a list came from the popularity fallback. */
export type PopularReason =
  'no_active_model' | 'unknown_user' | 'no_history' | 'history_unknown_to_model';

/** The past interaction that weighed most in an interest. */
export interface ExplanationCause {
  itemId: string;
  title: string;
  /** Cross-attention weight of the interaction, averaged over heads. */
  weight: number;
}

export interface Explanation {
  /** Index of the interest (query) whose score picked the item, or null when unknown. */
  interest: number | null;
  because: ExplanationCause[];
}

/** One item of a served list. */
export interface ServedItem {
  itemId: string;
  /** Position in the whole ranking, counting from 1 (offset + 1 for the first item). */
  rank: number;
  score: number;
  title: string;
  categories: string[];
  explanation?: Explanation;
}

/** Parameters of a request, stored with the list for consistent paging. */
export interface StoredRequest {
  n: number;
  offset: number;
  categories: string[];
  exclude: string[];
  explain: boolean;
  /** Key of the parameters other than user and offset. Requests with equal keys continue each other. */
  pageKey: string;
  reason?: PopularReason;
}

/** A validated `GET /recommendations` request. */
export interface RecommendationRequest {
  userId: string;
  n: number;
  offset: number;
  categories: string[];
  exclude: string[];
  explain: boolean;
}

/** A served list, as returned by `GET /recommendations` and `GET /recommendations/:id`. */
export interface RecommendationList {
  id: string;
  createdAt: string;
  userId: string;
  source: RecommendationSource;
  modelVersion: string | null;
  reason?: PopularReason;
  offset: number;
  n: number;
  items: ServedItem[];
}
