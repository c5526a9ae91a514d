import type { InteractionSequence } from '../model/qformer/batch';
import type { Recommendations } from '../model/qformer/recommender';
import type { ServingRecommender } from '../models/serving-model';

/** The model's output for one history. */
export interface InferenceRow {
  /** Item indices 1..N of the fixed top-K, best first. */
  topItems: Int32Array;
  topScores: Float32Array;
  /** [m, d] interest vectors. */
  interests: Float32Array;
  /** [m, L] each query's cross-attention over the history slots; absent for `last` readout. */
  attention?: Float32Array;
  /** [N + 1] every item's score, column 0 for padding. */
  allScores: Float32Array;
}

/** Counters of the batched runs, for tests and diagnostics. */
export interface BatcherStats {
  runs: number;
  requests: number;
  largestBatch: number;
  /** Largest number of runs of one model in flight at the same time. */
  maxObservedInFlight: number;
}

export interface InferenceBatcherOptions {
  maxBatchSize: number;
  /** Milliseconds the first request of an idle model waits for others; 0 waits one turn. */
  waitMs: number;
  /** Runs of one model in flight at the same time; more requests wait for the next batch. */
  maxInFlight?: number;
}

interface PendingRequest {
  history: InteractionSequence;
  resolve: (row: InferenceRow) => void;
  reject: (error: unknown) => void;
}

/** Requests of one model waiting for a run, and that model's runs in flight. */
interface ModelQueue {
  waiting: PendingRequest[];
  inFlight: number;
  timer?: NodeJS.Timeout;
}

/**
 * Groups concurrent inference requests for the same model into one run (adaptive
 * batching). While a model is idle, the first request waits `waitMs` for others. While
 * `maxInFlight` runs of a model are in flight, new requests queue up and form the next
 * batch, which starts as soon as a run ends. A queue that reaches `maxBatchSize` is cut into
 * a batch of its own. Requests for different models (during a model swap) never share a run.
 */
export class InferenceBatcher {
  readonly stats: BatcherStats = { runs: 0, requests: 0, largestBatch: 0, maxObservedInFlight: 0 };
  private readonly queues = new Map<ServingRecommender, ModelQueue>();
  private readonly itemTables = new WeakMap<ServingRecommender, Promise<Float32Array | null>>();
  private readonly maxInFlight: number;

  constructor(private readonly options: InferenceBatcherOptions) {
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Runs the model on one history, batched with the requests that arrive meanwhile. */
  infer(recommender: ServingRecommender, history: InteractionSequence): Promise<InferenceRow> {
    return new Promise<InferenceRow>((resolve, reject) => {
      const queue = this.queueOf(recommender);
      queue.waiting.push({ history, resolve, reject });
      if (queue.inFlight >= this.maxInFlight) {
        return;
      }
      if (queue.waiting.length >= this.options.maxBatchSize) {
        this.startRun(recommender, queue);
      } else if (queue.timer === undefined) {
        queue.timer = setTimeout(() => {
          queue.timer = undefined;
          this.startRun(recommender, queue);
        }, this.options.waitMs);
      }
    });
  }

  /** Returns the model's item embedding table [N + 1, d], read once per model, or null. */
  itemEmbeddingTable(recommender: ServingRecommender): Promise<Float32Array | null> {
    let table = this.itemTables.get(recommender);
    if (table === undefined) {
      table = recommender.itemEmbeddings();
      this.itemTables.set(recommender, table);
    }
    return table;
  }

  private queueOf(recommender: ServingRecommender): ModelQueue {
    let queue = this.queues.get(recommender);
    if (queue === undefined) {
      queue = { waiting: [], inFlight: 0 };
      this.queues.set(recommender, queue);
    }
    return queue;
  }

  /** Starts a run of up to `maxBatchSize` waiting requests when a run slot is free. */
  private startRun(recommender: ServingRecommender, queue: ModelQueue): void {
    if (queue.inFlight >= this.maxInFlight || queue.waiting.length === 0) {
      return;
    }
    clearTimeout(queue.timer);
    queue.timer = undefined;
    const requests = queue.waiting.splice(0, this.options.maxBatchSize);
    queue.inFlight += 1;
    this.stats.maxObservedInFlight = Math.max(this.stats.maxObservedInFlight, queue.inFlight);
    void this.run(recommender, requests).finally(() => {
      queue.inFlight -= 1;
      if (queue.waiting.length > 0) {
        this.startRun(recommender, queue);
      } else if (queue.inFlight === 0 && queue.timer === undefined) {
        this.queues.delete(recommender);
      }
    });
  }

  private async run(recommender: ServingRecommender, requests: PendingRequest[]): Promise<void> {
    this.stats.runs += 1;
    this.stats.requests += requests.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, requests.length);
    try {
      const result = await recommender.recommend(
        requests.map((request) => request.history),
        { allScores: true },
      );
      requests.forEach((request, b) => request.resolve(rowOf(result, b)));
    } catch (error: unknown) {
      for (const request of requests) {
        request.reject(error);
      }
    }
  }
}

/** Cuts row `b` out of a batch's outputs, without copying. */
function rowOf(result: Recommendations, b: number): InferenceRow {
  const slice = <T extends Float32Array | Int32Array>(array: T): T => {
    const size = array.length / result.batchSize;
    return array.subarray(b * size, (b + 1) * size) as T;
  };
  if (result.allScores === undefined) {
    throw new Error('the model returned no score rows');
  }
  return {
    topItems: slice(result.items),
    topScores: slice(result.scores),
    interests: slice(result.interests),
    attention: result.attention === undefined ? undefined : slice(result.attention),
    allScores: slice(result.allScores),
  };
}
