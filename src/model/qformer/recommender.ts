import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { ItemVocabulary } from '../data/item-vocabulary';
import { Scorer } from '../eval/scorer';
import { InteractionSequence, packHistories } from './batch';
import { exportedInterestShape } from './config';
import { INFERENCE_OUTPUTS } from './inference-graph';
import { LoadedModel } from './model-store';
import { createWindowSessions, defaultWindowLengths, WindowSession } from './window-sessions';

/** Recommendations for one batch of histories, row-major per user. */
export interface Recommendations {
  batchSize: number;
  topK: number;
  /** [batch, topK] item indices 1..N, best first. */
  items: Int32Array;
  /** [batch, topK] scores of those items. */
  scores: Float32Array;
  /** [batch, m, d] interest vectors. */
  interests: Float32Array;
  /** [batch, m, L] each query's attention over the history slots; absent for `last` readout. */
  attention?: Float32Array;
  /** [batch, N + 1] every item's score, column 0 for padding; only when asked for. */
  allScores?: Float32Array;
}

export interface RecommendOptions {
  /** Also returns every item's score (`allScores`), from the same run. */
  allScores?: boolean;
}

/** Runs a loaded model on histories of item indices. */
export class QFormerRecommender {
  /**
   * Builds a recommender. `windows` are optional sessions over the same weights for shorter
   * histories (see window-sessions.ts): each history runs in the shortest window that fits
   * it, and the results come back as if every history ran in the full window.
   */
  constructor(
    readonly model: LoadedModel,
    private readonly windows: readonly WindowSession[] = [],
  ) {}

  /**
   * Builds a recommender with a session per window length from `onnxBytes`, the model's own
   * ONNX file (default lengths: an eighth, a quarter and a half of the full window).
   */
  static async withWindows(
    model: LoadedModel,
    onnxBytes: Uint8Array,
    lengths: readonly number[] = defaultWindowLengths(model.config.maxLength),
    sessionOptions: InferenceSession.SessionOptions = {},
  ): Promise<QFormerRecommender> {
    const windows = await createWindowSessions(
      onnxBytes,
      model.config,
      model.manifest.itemCount,
      model.manifest.topK,
      lengths.filter((length) => length < model.config.maxLength),
      sessionOptions,
    );
    return new QFormerRecommender(model, windows);
  }

  get itemCount(): number {
    return this.model.manifest.itemCount;
  }

  /** Window lengths with a session of their own, the full window last. */
  get windowLengths(): number[] {
    return [...this.windows.map((window) => window.length), this.model.config.maxLength];
  }

  /** Scores every item, row-major [B, N + 1], in the evaluator's `Scorer` form. */
  readonly score: Scorer = async (histories) => {
    const results = await this.run(
      histories.map((items) => ({ items })),
      [INFERENCE_OUTPUTS.scores],
    );
    return results[INFERENCE_OUTPUTS.scores] as Float32Array;
  };

  /**
   * Returns the top-K items, interests and attention for each history, and with
   * `allScores` every item's score, all from one run per window.
   */
  async recommend(
    histories: readonly InteractionSequence[],
    options: RecommendOptions = {},
  ): Promise<Recommendations> {
    const names: string[] = [
      INFERENCE_OUTPUTS.topItems,
      INFERENCE_OUTPUTS.topScores,
      INFERENCE_OUTPUTS.interests,
    ];
    const hasAttention = this.model.session.outputNames.includes(INFERENCE_OUTPUTS.attention);
    if (hasAttention) {
      names.push(INFERENCE_OUTPUTS.attention);
    }
    if (options.allScores === true) {
      names.push(INFERENCE_OUTPUTS.scores);
    }
    const results = await this.run(histories, names);
    return {
      batchSize: histories.length,
      topK: this.model.manifest.topK,
      items: Int32Array.from(results[INFERENCE_OUTPUTS.topItems] as BigInt64Array, Number),
      scores: results[INFERENCE_OUTPUTS.topScores] as Float32Array,
      interests: results[INFERENCE_OUTPUTS.interests] as Float32Array,
      attention: hasAttention ? (results[INFERENCE_OUTPUTS.attention] as Float32Array) : undefined,
      allScores:
        options.allScores === true
          ? (results[INFERENCE_OUTPUTS.scores] as Float32Array)
          : undefined,
    };
  }

  /**
   * Returns the item embedding table [N + 1, d], or null for models exported before the
   * table became an output.
   */
  async itemEmbeddings(): Promise<Float32Array | null> {
    const session = this.model.session;
    if (!session.outputNames.includes(INFERENCE_OUTPUTS.itemEmbeddings)) {
      return null;
    }
    const L = this.model.config.maxLength;
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

  /** Number of interest vectors per user (of all members, for an ensemble). */
  get interestCount(): number {
    return exportedInterestShape(this.model.config).count;
  }

  async release(): Promise<void> {
    for (const window of this.windows) {
      await window.session.release();
    }
    await this.model.session.release();
  }

  /**
   * Runs each history in the shortest window that fits it, one ONNX Runtime run per window
   * in use, and gathers every output back into the order of `histories`.
   */
  private async run(
    histories: readonly InteractionSequence[],
    outputNames: string[],
  ): Promise<Record<string, OutputArray>> {
    this.checkHistories(histories);
    const groups = this.groupByWindow(histories);
    const outputs = new BatchOutputs(histories.length, this.model.config.maxLength);
    for (const group of groups) {
      const B = group.rows.length;
      const packed = packHistories(
        group.rows.map((row) => histories[row]),
        group.length,
      );
      const feeds = {
        items: new OrtTensor('int64', packed.items, [B, group.length]),
        event_types: new OrtTensor('int64', packed.eventTypes, [B, group.length]),
        lengths: new OrtTensor('int64', packed.lengths, [B]),
      };
      const results = await group.session.run(feeds, outputNames);
      for (const name of outputNames) {
        outputs.scatter(name, results[name], group.rows, name === INFERENCE_OUTPUTS.attention);
      }
    }
    return outputs.arrays;
  }

  private checkHistories(histories: readonly InteractionSequence[]): void {
    for (const history of histories) {
      checkIndices(history.items, this.itemCount, 'item');
      if (history.eventTypes !== undefined) {
        checkIndices(history.eventTypes, this.model.config.eventTypeCount, 'event type');
      }
    }
  }

  private groupByWindow(histories: readonly InteractionSequence[]): WindowGroup[] {
    const full: WindowSession = {
      length: this.model.config.maxLength,
      session: this.model.session,
    };
    const sessions = [...this.windows, full];
    const groups = new Map<number, WindowGroup>();
    histories.forEach((history, row) => {
      const window = sessions.find((candidate) => history.items.length <= candidate.length) ?? full;
      const group = groups.get(window.length) ?? { ...window, rows: [] };
      group.rows.push(row);
      groups.set(window.length, group);
    });
    return [...groups.values()];
  }
}

type OutputArray = Float32Array | BigInt64Array;

interface WindowGroup extends WindowSession {
  /** Positions in the request's batch of the histories that run in this window. */
  rows: number[];
}

/**
 * Output arrays of a whole batch, filled group by group. Attention rows of a shorter window
 * are right-aligned in the full window's slots, with zeros on the left for the slots that
 * the window did not have.
 */
class BatchOutputs {
  readonly arrays: Record<string, OutputArray> = {};

  constructor(
    private readonly batchSize: number,
    private readonly maxLength: number,
  ) {}

  scatter(name: string, tensor: OrtTensor, rows: readonly number[], isAttention: boolean): void {
    const data = tensor.data as OutputArray;
    const dims = tensor.dims;
    const sourceRow = data.length / rows.length;
    const targetRow = isAttention
      ? (sourceRow / dims[dims.length - 1]) * this.maxLength
      : sourceRow;
    const target = this.arrayFor(name, data, targetRow);
    rows.forEach((row, index) => {
      const source = data.subarray(index * sourceRow, (index + 1) * sourceRow);
      if (isAttention) {
        scatterAttention(source, target, row * targetRow, dims[dims.length - 1], this.maxLength);
      } else {
        target.set(source as never, row * targetRow);
      }
    });
  }

  private arrayFor(name: string, like: OutputArray, rowLength: number): OutputArray {
    const existing = this.arrays[name];
    if (existing !== undefined) {
      return existing;
    }
    const size = this.batchSize * rowLength;
    const created =
      like instanceof BigInt64Array ? new BigInt64Array(size) : new Float32Array(size);
    this.arrays[name] = created;
    return created;
  }
}

/** Copies [m, W] attention rows into [m, L] rows, right-aligned. */
function scatterAttention(
  source: OutputArray,
  target: OutputArray,
  offset: number,
  windowLength: number,
  maxLength: number,
): void {
  const queries = source.length / windowLength;
  for (let query = 0; query < queries; query += 1) {
    const from = source.subarray(query * windowLength, (query + 1) * windowLength);
    target.set(from as never, offset + query * maxLength + (maxLength - windowLength));
  }
}

function checkIndices(values: Int32Array, maximum: number, what: string): void {
  for (const value of values) {
    if (!Number.isInteger(value) || value < 1 || value > maximum) {
      throw new RangeError(`${what} index ${value} is outside 1..${maximum}`);
    }
  }
}

/**
 * Wraps a model's scorer for data encoded with another item vocabulary: histories are
 * translated by item id into the model's indices, and scores back into the data's. Items the
 * model has never seen are dropped from histories and get the lowest score.
 */
export function scorerForVocabulary(
  recommender: QFormerRecommender,
  dataVocabulary: ItemVocabulary,
): Scorer {
  const modelVocabulary = recommender.model.vocabulary;
  const toModel = new Int32Array(dataVocabulary.size + 1);
  let identical = dataVocabulary.size === modelVocabulary.size;
  for (let index = 1; index <= dataVocabulary.size; index += 1) {
    toModel[index] = modelVocabulary.indexOf(dataVocabulary.itemId(index)) ?? 0;
    identical &&= toModel[index] === index;
  }
  if (identical) {
    return recommender.score;
  }
  return async (histories) => {
    const translated = histories.map((history) =>
      Int32Array.from(history, (index) => toModel[index]).filter((index) => index > 0),
    );
    const modelScores = await recommender.score(translated);
    const rowLength = dataVocabulary.size + 1;
    const modelRowLength = modelVocabulary.size + 1;
    const scores = new Float32Array(histories.length * rowLength).fill(-1e9);
    for (let user = 0; user < histories.length; user += 1) {
      for (let index = 1; index < rowLength; index += 1) {
        const modelIndex = toModel[index];
        if (modelIndex > 0) {
          scores[user * rowLength + index] = modelScores[user * modelRowLength + modelIndex];
        }
      }
    }
    return scores;
  };
}
