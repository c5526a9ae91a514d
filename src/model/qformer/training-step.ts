import { Tensor as OrtTensor } from 'onnxruntime-node';
import { AdamW, AdamWOptions, AdamWStepResult, ParameterTensor } from '../engine/optim/adamw';
import { EngineSessionOptions } from '../engine/providers';
import { EngineSession, Feed, TrainingSession } from '../engine/session';
import { QFormerConfig } from './config';
import { historyFeeds, InteractionSequence, packHistories, TrainingBatch } from './batch';
import { buildInferenceGraph, InferenceGraph } from './inference-graph';
import { buildTrainingGraph } from './training-graph';

export interface TrainingStepOptions {
  batchSize: number;
  /** Window lengths to build a session for; batches name theirs. Default [maxLength]. */
  windowLengths?: readonly number[];
  optimizer: AdamWOptions;
  sessionOptions?: EngineSessionOptions;
  dropoutSeed?: number;
}

export interface StepOutcome extends AdamWStepResult {
  loss: number;
}

/** Parameters that get no weight decay: biases, LayerNorm scales and attention biases. */
export function isNoDecayParameter(name: string): boolean {
  return name.endsWith('.bias') || name.endsWith('.scale');
}

/**
 * One ONNX Runtime run per step computes the loss and the gradients at the current
 * parameters, and AdamW then updates the parameters in place.
 */
export class QFormerTrainingStep {
  private constructor(
    private readonly sessions: ReadonlyMap<number, TrainingSession>,
    private readonly optimizer: AdamW,
    readonly parameters: ParameterTensor[],
  ) {}

  /**
   * Builds one training graph and session per window length; all of them read the same
   * parameters, and one AdamW updates them.
   */
  static async create(
    config: QFormerConfig,
    itemCount: number,
    parameters: ParameterTensor[],
    options: TrainingStepOptions,
  ): Promise<QFormerTrainingStep> {
    const sessions = new Map<number, TrainingSession>();
    for (const windowLength of options.windowLengths ?? [config.maxLength]) {
      const graph = buildTrainingGraph(config, itemCount, {
        batchSize: options.batchSize,
        windowLength,
        dropoutSeed: options.dropoutSeed,
      });
      const session = await TrainingSession.create(
        graph.loss,
        graph.gradients,
        options.sessionOptions ?? {},
      );
      sessions.set(windowLength, session);
    }
    const optimizer = new AdamW(parameters, {
      noDecay: isNoDecayParameter,
      ...options.optimizer,
    });
    return new QFormerTrainingStep(sessions, optimizer, parameters);
  }

  async run(batch: TrainingBatch): Promise<StepOutcome> {
    const session = this.sessions.get(batch.windowLength);
    if (session === undefined) {
      throw new Error(`no training session for window length ${batch.windowLength}`);
    }
    const { loss, gradients } = await session.step(batch.feeds, this.parameters);
    if (!Number.isFinite(loss)) {
      throw new Error(`training loss is ${loss}; lower the learning rate or check the data`);
    }
    return { loss, ...this.optimizer.step(gradients) };
  }

  async release(): Promise<void> {
    for (const session of this.sessions.values()) {
      await session.release();
    }
  }
}

/**
 * The inference graph with parameters fed at each run, so that it scores with the current
 * training weights (validation during training, and tests against the exported model).
 */
export class QFormerForward {
  private constructor(
    readonly graph: InferenceGraph,
    private readonly session: EngineSession,
    private readonly config: QFormerConfig,
    private readonly itemCount: number,
  ) {}

  static async create(
    config: QFormerConfig,
    itemCount: number,
    topK: number,
    sessionOptions: EngineSessionOptions = {},
  ): Promise<QFormerForward> {
    const graph = buildInferenceGraph(config, itemCount, topK);
    const session = await EngineSession.create(graph.graph, graph.outputs, sessionOptions);
    return new QFormerForward(graph, session, config, itemCount);
  }

  /** Runs the graph on the histories; returns every output by name. */
  async run(
    histories: readonly InteractionSequence[],
    parameters: readonly ParameterTensor[],
  ): Promise<Map<string, OrtTensor>> {
    const feeds: Record<string, Feed> = historyFeeds(
      packHistories(histories, this.config.maxLength),
      this.config.maxLength,
    );
    for (const parameter of parameters) {
      feeds[parameter.name] = { data: parameter.data, dims: parameter.shape };
    }
    return this.session.run(feeds);
  }

  /** Scores all items for each history, row-major [B, N + 1]. */
  async score(
    histories: readonly Int32Array[],
    parameters: readonly ParameterTensor[],
  ): Promise<Float32Array> {
    const results = await this.run(
      histories.map((items) => ({ items })),
      parameters,
    );
    const scores = results.get(this.graph.scores.name) as OrtTensor;
    const data = scores.data as Float32Array;
    if (data.length !== histories.length * (this.itemCount + 1)) {
      throw new Error(`scores have ${data.length} values for ${histories.length} histories`);
    }
    return data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
