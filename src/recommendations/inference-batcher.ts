import { Tensor as OrtTensor } from 'onnxruntime-node';
import { InteractionSequence, packHistories } from '../model/qformer/batch';
import { INFERENCE_OUTPUTS } from '../model/qformer/inference-graph';
import { QFormerRecommender } from '../model/qformer/recommender';

/** The model's output for one history. */
export interface InferenceRow {
  /** Item indices 1..N of the fixed top-K, best first. */
  topItems: Int32Array;
  topScores: Float32Array;
  /** [m, d] interest vectors. */
  interests: Float32Array;
  /** [m, L] each query's cross-attention over the history slots; absent for `last` readout. */
  attention?: Float32Array;
}

/** Counters of the batched runs, for tests and diagnostics. */
export interface BatcherStats {
  runs: number;
  requests: number;
  largestBatch: number;
}

export interface InferenceBatcherOptions {
  maxBatchSize: number;
  /** Milliseconds the first request of a batch waits for others; 0 waits one event-loop turn. */
  waitMs: number;
}

interface PendingRequest {
  history: InteractionSequence;
  resolve: (row: InferenceRow) => void;
  reject: (error: unknown) => void;
}

interface PendingBatch {
  requests: PendingRequest[];
  timer?: NodeJS.Timeout;
}

/**
 * Groups concurrent inference requests for the same model into one ONNX Runtime run. A batch
 * runs when it reaches `maxBatchSize` requests or when its first request has waited `waitMs`.
 * Requests for different models (during a model swap) never share a run.
 */
export class InferenceBatcher {
  readonly stats: BatcherStats = { runs: 0, requests: 0, largestBatch: 0 };
  private readonly pending = new Map<QFormerRecommender, PendingBatch>();
  private readonly itemTables = new WeakMap<QFormerRecommender, Promise<Float32Array | null>>();

  constructor(private readonly options: InferenceBatcherOptions) {}

  /** Runs the model on one history, batched with the requests that arrive meanwhile. */
  infer(recommender: QFormerRecommender, history: InteractionSequence): Promise<InferenceRow> {
    return new Promise<InferenceRow>((resolve, reject) => {
      let batch = this.pending.get(recommender);
      if (batch === undefined) {
        batch = { requests: [] };
        this.pending.set(recommender, batch);
      }
      batch.requests.push({ history, resolve, reject });

      if (batch.requests.length >= this.options.maxBatchSize) {
        this.flush(recommender, batch);
      } else if (batch.timer === undefined) {
        const scheduled = batch;
        scheduled.timer = setTimeout(() => this.flush(recommender, scheduled), this.options.waitMs);
      }
    });
  }

  /**
   * Scores every item for one history, row [N + 1] with column 0 for padding. Used when
   * filters remove too many of the top-K; it runs alone because its output is large.
   */
  async scoreAll(
    recommender: QFormerRecommender,
    history: InteractionSequence,
  ): Promise<Float32Array> {
    const L = recommender.model.config.maxLength;
    const packed = packHistories([history], L);
    const outputs = await recommender.model.session.run(
      {
        items: new OrtTensor('int64', packed.items, [1, L]),
        event_types: new OrtTensor('int64', packed.eventTypes, [1, L]),
        lengths: new OrtTensor('int64', packed.lengths, [1]),
      },
      [INFERENCE_OUTPUTS.scores],
    );
    return outputs[INFERENCE_OUTPUTS.scores].data as Float32Array;
  }

  /**
   * Returns the model's item embedding table [N + 1, d], read once per model, or null for
   * models exported before the table became an output.
   */
  itemEmbeddingTable(recommender: QFormerRecommender): Promise<Float32Array | null> {
    let table = this.itemTables.get(recommender);
    if (table === undefined) {
      table = readItemTable(recommender);
      this.itemTables.set(recommender, table);
    }
    return table;
  }

  private flush(recommender: QFormerRecommender, batch: PendingBatch): void {
    clearTimeout(batch.timer);
    if (this.pending.get(recommender) === batch) {
      this.pending.delete(recommender);
    }
    void this.run(recommender, batch.requests);
  }

  private async run(recommender: QFormerRecommender, requests: PendingRequest[]): Promise<void> {
    this.stats.runs += 1;
    this.stats.requests += requests.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, requests.length);
    try {
      const result = await recommender.recommend(requests.map((request) => request.history));
      const m = recommender.interestCount;
      const d = recommender.model.config.dim;
      const L = recommender.model.config.maxLength;
      const K = result.topK;
      requests.forEach((request, b) => {
        request.resolve({
          topItems: result.items.subarray(b * K, (b + 1) * K),
          topScores: result.scores.subarray(b * K, (b + 1) * K),
          interests: result.interests.subarray(b * m * d, (b + 1) * m * d),
          attention: result.attention?.subarray(b * m * L, (b + 1) * m * L),
        });
      });
    } catch (error: unknown) {
      for (const request of requests) {
        request.reject(error);
      }
    }
  }
}

async function readItemTable(recommender: QFormerRecommender): Promise<Float32Array | null> {
  const session = recommender.model.session;
  if (!session.outputNames.includes(INFERENCE_OUTPUTS.itemEmbeddings)) {
    return null;
  }
  const L = recommender.model.config.maxLength;
  // The table does not depend on the inputs; a one-interaction history satisfies the shapes.
  const items = new BigInt64Array(L).fill(1n);
  const outputs = await session.run(
    {
      items: new OrtTensor('int64', items, [1, L]),
      event_types: new OrtTensor('int64', items, [1, L]),
      lengths: new OrtTensor('int64', BigInt64Array.of(1n), [1]),
    },
    [INFERENCE_OUTPUTS.itemEmbeddings],
  );
  return outputs[INFERENCE_OUTPUTS.itemEmbeddings].data as Float32Array;
}
