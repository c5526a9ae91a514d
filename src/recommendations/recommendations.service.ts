import type { RecommendationSettings } from '../config/app-config';
import { exportedInterestShape } from '../model/qformer/config';
import { AcceptedCandidate, Candidate, FilterRules, takeFiltered } from './candidate-filter';
import { explainItem, ExplanationContext } from './explanations';
import { InferenceBatcher, InferenceRow } from './inference-batcher';
import { encodeHistory, modelCandidates } from './model-ranking';
import { PopularRanking } from './popular-ranking';
import {
  PopularReason,
  RecommendationList,
  RecommendationRequest,
  RecommendationSource,
  ServedItem,
  StoredRequest,
} from './recommendation.types';
import { RecommendationListNotFoundException } from './recommendations.exceptions';
import { RecommendationsRepository, StoredList, UserHistory } from './recommendations.repository';
import { ServingModelProvider, ServingModelView } from './serving-model-provider';

/** A ranked page before it is stored. */
interface RankedPage {
  source: RecommendationSource;
  modelVersionId: string | null;
  reason?: PopularReason;
  items: Omit<ServedItem, 'rank'>[];
  /** Set when ranking already stored the page (see `storeFilteredPage`). */
  stored?: StoredPage;
}

/** Per-request view of the user and the filters. */
interface RankingInput {
  request: RecommendationRequest;
  history: UserHistory;
  rules: FilterRules;
  /** Accepted items to skip before the page starts. */
  skip: number;
  /** The request as it is stored with the list. */
  stored: StoredRequest;
}

/** A stored page: its id, time and items. */
interface StoredPage {
  id: string;
  createdAt: Date;
  items: ServedItem[];
}

/** Attribution of served lists to conversions, per model version and source. */
export interface AttributionReport {
  conversionEventTypes: string[];
  since: string | null;
  versions: {
    modelVersion: string | null;
    source: RecommendationSource;
    lists: number;
    listsWithConversion: number;
    conversionRate: number;
  }[];
}

/**
 * Serves recommendation lists: reads the user's history, ranks with the active model (or by
 * popularity), filters, stores the served list and returns it. Free of NestJS, so that the
 * CLI's bulk export uses the same code.
 */
export class RecommendationsService {
  readonly batcher: InferenceBatcher;
  private readonly popular: PopularRanking;

  constructor(
    private readonly repository: RecommendationsRepository,
    private readonly models: ServingModelProvider,
    private readonly settings: RecommendationSettings,
  ) {
    this.batcher = new InferenceBatcher({
      maxBatchSize: settings.batchMaxSize,
      waitMs: settings.batchWaitMs,
      maxInFlight: settings.batchMaxInFlight,
    });
    this.popular = new PopularRanking(
      repository,
      settings.popularWindowDays,
      settings.popularCacheMs,
    );
  }

  /** Ranks, stores and returns one page of recommendations. */
  async recommend(request: RecommendationRequest): Promise<RecommendationList> {
    const pageKey = pageKeyOf(request);
    const earlier = await this.servedOnEarlierPages(request, pageKey);
    const rules: FilterRules = {
      exclude: new Set([...request.exclude, ...earlier]),
      categories: request.categories,
    };
    const skip = Math.max(request.offset - earlier.length, 0);
    const stored: StoredRequest = {
      n: request.n,
      offset: request.offset,
      categories: request.categories,
      exclude: request.exclude,
      explain: request.explain,
      pageKey,
    };

    const page = await this.models.use(async (model) => {
      // Titles are only shown in explanations.
      const history = await this.repository.findHistory(
        request.userId,
        model?.config.maxLength ?? 0,
        { titles: request.explain },
      );
      return this.rank(model, { request, history, rules, skip, stored });
    });
    if (page.reason !== undefined) {
      stored.reason = page.reason;
    }
    const list = page.stored ?? (await this.store(request, page, stored));
    return toResponse({
      id: list.id,
      createdAt: list.createdAt,
      userId: request.userId,
      modelVersionId: page.modelVersionId,
      source: page.source,
      request: stored,
      items: list.items,
    });
  }

  private async store(
    request: RecommendationRequest,
    page: RankedPage,
    stored: StoredRequest,
  ): Promise<StoredPage> {
    const items = page.items.map((item, i) => ({ ...item, rank: request.offset + i + 1 }));
    const { id, createdAt } = await this.repository.insertList({
      userId: request.userId,
      modelVersionId: page.modelVersionId,
      source: page.source,
      request: stored,
      items,
    });
    return { id, createdAt, items };
  }

  /** Returns a stored list exactly as it was served. */
  async getList(id: string): Promise<RecommendationList> {
    const list = await this.repository.findList(id);
    if (list === null) {
      throw new RecommendationListNotFoundException(id);
    }
    return toResponse(list);
  }

  async attribution(since: Date | null): Promise<AttributionReport> {
    const rows = await this.repository.countConversions(since);
    return {
      conversionEventTypes: ['click', 'purchase'],
      since: since?.toISOString() ?? null,
      versions: rows.map((row) => ({
        modelVersion: row.modelVersionId,
        source: row.source,
        lists: row.lists,
        listsWithConversion: row.convertedLists,
        conversionRate: row.lists === 0 ? 0 : row.convertedLists / row.lists,
      })),
    };
  }

  private async servedOnEarlierPages(
    request: RecommendationRequest,
    pageKey: string,
  ): Promise<string[]> {
    if (request.offset === 0 || this.settings.pageWindowSeconds === 0) {
      return [];
    }
    return this.repository.findServedOnEarlierPages(
      request.userId,
      pageKey,
      request.offset,
      this.settings.pageWindowSeconds,
    );
  }

  private async rank(model: ServingModelView | null, input: RankingInput): Promise<RankedPage> {
    if (model === null) {
      return this.rankPopular(input, 'no_active_model');
    }
    if (input.history.userKey === null) {
      return this.rankPopular(input, 'unknown_user');
    }
    if (input.history.interactions.length === 0) {
      return this.rankPopular(input, 'no_history');
    }
    const encoded = encodeHistory(model, input.history.interactions);
    if (encoded.sequence.items.length === 0) {
      return this.rankPopular(input, 'history_unknown_to_model');
    }

    const row = await this.batcher.infer(model.recommender, encoded.sequence);
    const stored = await this.storeTopK(model, row, input);
    if (stored !== null) {
      return { source: 'model', modelVersionId: model.versionId, items: [], stored };
    }
    const needed = input.skip + input.request.n;
    const chunks = modelCandidates(model, row, 2 * needed);
    const accepted = await this.filter(chunks, input);
    const page = accepted.slice(input.skip);

    const context: ExplanationContext | null = input.request.explain
      ? {
          row,
          itemTable: await this.batcher.itemEmbeddingTable(model.recommender),
          interestCount: model.recommender.interestCount,
          dim: exportedInterestShape(model.config).dim,
          maxLength: model.config.maxLength,
          history: encoded.interactions,
        }
      : null;
    return {
      source: 'model',
      modelVersionId: model.versionId,
      items: page.map((candidate) => ({
        ...servedFields(candidate),
        ...(context === null
          ? {}
          : { explanation: explainItem(candidate.modelIndex as number, context) }),
      })),
    };
  }

  /**
   * Filters, pages and stores the model's top-K in one statement when no explanation is
   * requested. Returns null, and stores nothing, when too few of the top-K pass the filters.
   */
  private async storeTopK(
    model: ServingModelView,
    row: InferenceRow,
    input: RankingInput,
  ): Promise<StoredPage | null> {
    const userKey = input.history.userKey;
    if (input.request.explain || userKey === null) {
      return null;
    }
    const [topK] = modelCandidates(model, row, 0);
    return this.repository.storeFilteredPage(
      {
        candidates: topK,
        userKey,
        seenTypes: this.settings.excludeSeenTypes,
        exclude: [...input.rules.exclude],
        categories: input.rules.categories,
        skip: input.skip,
        list: {
          userId: input.request.userId,
          modelVersionId: model.versionId,
          source: 'model',
          request: input.stored,
        },
      },
      input.request.n,
      input.request.offset,
    );
  }

  private async rankPopular(input: RankingInput, reason: PopularReason): Promise<RankedPage> {
    const ranking = await this.popular.get(input.request.categories);
    const candidates: Candidate[] = ranking.map((item) => ({
      itemId: item.itemId,
      score: item.events,
    }));
    const accepted = await this.filter([candidates], input);
    return {
      source: 'popular',
      modelVersionId: null,
      reason,
      items: accepted.slice(input.skip).map(servedFields),
    };
  }

  private filter(
    chunks: Iterable<Candidate[]> | AsyncIterable<Candidate[]>,
    input: RankingInput,
  ): Promise<AcceptedCandidate[]> {
    const userKey = input.history.userKey;
    return takeFiltered(
      chunks,
      input.skip + input.request.n,
      (itemIds) => this.repository.findCandidates(itemIds, userKey, this.settings.excludeSeenTypes),
      input.rules,
    );
  }
}

/** Requests with equal keys (and the same user) continue each other's pages. */
function pageKeyOf(request: RecommendationRequest): string {
  return JSON.stringify([request.n, [...request.categories].sort(), [...request.exclude].sort()]);
}

function servedFields(candidate: AcceptedCandidate): Omit<ServedItem, 'rank'> {
  return {
    itemId: candidate.itemId,
    score: candidate.score,
    title: candidate.title,
    categories: candidate.categories,
  };
}

function toResponse(list: StoredList): RecommendationList {
  return {
    id: list.id,
    createdAt: list.createdAt.toISOString(),
    userId: list.userId,
    source: list.source,
    modelVersion: list.modelVersionId,
    ...(list.request.reason === undefined ? {} : { reason: list.request.reason }),
    offset: list.request.offset,
    n: list.request.n,
    items: list.items,
  };
}
