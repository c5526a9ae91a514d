import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

import { ParameterGradient } from './autodiff';
import type { Gradient, ParameterTensor } from './optim/adamw';
import { ConstantValue, Graph } from './graph';
import { serializeModel } from './onnx-serializer';
import {
  EngineSessionOptions,
  checkProvidersListed,
  describeProviderFailure,
  toOrtSessionOptions,
} from './providers';
import { DType, Shape, ShapeError, Tensor, TensorData, formatShape } from './tensor';

export type { Gradient, ParameterTensor };

/** A value fed to a graph input: a typed array for a static shape, or data with dims. */
export type Feed = TensorData | { data: TensorData; dims: readonly number[] };

/**
 * ONNX Runtime session for a part of a graph. Parameters are fed as inputs unless
 * `parameterValues` is given, in which case they become initializers.
 */
export class EngineSession {
  private constructor(
    private readonly session: InferenceSession,
    private readonly graph: Graph,
    readonly outputs: readonly Tensor[],
  ) {}

  static async create(
    graph: Graph,
    outputs: readonly Tensor[],
    options: EngineSessionOptions = {},
    parameterValues?: ReadonlyMap<string, ConstantValue>,
  ): Promise<EngineSession> {
    const ortOptions = toOrtSessionOptions(options);
    const providers = options.executionProviders ?? ['cpu'];
    checkProvidersListed(providers);
    const model = serializeModel(graph, { outputs, parameterValues });
    try {
      const session = await InferenceSession.create(model, ortOptions);
      return new EngineSession(session, graph, outputs);
    } catch (error: unknown) {
      const failed = providers.find((provider) => provider !== 'cpu');
      if (failed !== undefined) {
        throw describeProviderFailure(failed, error);
      }
      throw error;
    }
  }

  /** Runs the session once; `feeds` maps input and parameter names to values. */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Map<string, OrtTensor>> {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const name of this.session.inputNames) {
      const tensor = this.findTensor(name);
      const feed = feeds[name];
      if (feed === undefined) {
        throw new Error(`missing feed for input ${tensor.toString()}`);
      }
      ortFeeds[name] = toOrtTensor(tensor, feed);
    }
    const results = await this.session.run(ortFeeds);
    return new Map(this.outputs.map((output) => [output.name, results[output.name]]));
  }

  /** Ends profiling and writes the profile file, when `profileFilePrefix` was set. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private findTensor(name: string): Tensor {
    const tensor = [...this.graph.inputs, ...this.graph.parameters].find(
      (entry) => entry.name === name,
    );
    if (tensor === undefined) {
      throw new Error(`session input ${name} is not declared on graph ${this.graph.name}`);
    }
    return tensor;
  }
}

export interface StepResult {
  loss: number;
  gradients: Map<string, Gradient>;
}

/** Runs training steps: one ONNX Runtime run takes inputs and parameters, returns loss and gradients. */
export class TrainingSession {
  private constructor(
    private readonly session: EngineSession,
    private readonly loss: Tensor,
    private readonly gradients: ReadonlyMap<string, ParameterGradient>,
  ) {}

  static async create(
    loss: Tensor,
    gradients: ReadonlyMap<string, ParameterGradient>,
    options: EngineSessionOptions = {},
  ): Promise<TrainingSession> {
    const outputs = [loss, ...[...gradients.values()].map((entry) => entry.gradient)];
    const session = await EngineSession.create(loss.graph as Graph, outputs, options);
    return new TrainingSession(session, loss, gradients);
  }

  /** Computes the loss and gradients for `inputs` at the current `parameters`. */
  async step(
    inputs: Readonly<Record<string, Feed>>,
    parameters: readonly ParameterTensor[],
  ): Promise<StepResult> {
    const feeds: Record<string, Feed> = { ...inputs };
    for (const parameter of parameters) {
      feeds[parameter.name] = { data: parameter.data, dims: parameter.shape };
    }
    const results = await this.session.run(feeds);
    const loss = Number((results.get(this.loss.name) as OrtTensor).data[0]);

    const gradients = new Map<string, Gradient>();
    for (const [name, entry] of this.gradients) {
      const values = (results.get(entry.gradient.name) as OrtTensor).data as
        Float32Array | Float64Array;
      if (entry.rows === undefined) {
        gradients.set(name, { kind: 'dense', values });
      } else {
        const rows = Int32Array.from(feedData(feeds[entry.rows.name]) as BigInt64Array, Number);
        gradients.set(name, { kind: 'rows', rows, values });
      }
    }
    return { loss, gradients };
  }

  /** Ends profiling and writes the profile file, when `profileFilePrefix` was set. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

const ORT_TYPES: Record<DType, OrtTensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int64',
  bool: 'bool',
};

const ARRAY_TYPES: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int64: 'BigInt64Array',
  bool: 'Uint8Array',
};

function feedData(feed: Feed | undefined): TensorData | undefined {
  if (feed === undefined) {
    return undefined;
  }
  return ArrayBuffer.isView(feed) ? feed : feed.data;
}

function toOrtTensor(tensor: Tensor, feed: Feed): OrtTensor {
  const data = feedData(feed) as TensorData;
  if (data.constructor.name !== ARRAY_TYPES[tensor.dtype]) {
    throw new ShapeError(
      `feed ${tensor.name}: expected ${ARRAY_TYPES[tensor.dtype]}, got ${data.constructor.name}`,
    );
  }
  const dims = ArrayBuffer.isView(feed) ? staticDims(tensor.shape, data.length, tensor) : feed.dims;
  checkDims(tensor, dims, data.length);
  return new OrtTensor(ORT_TYPES[tensor.dtype], data, [...dims]);
}

/** Resolves the dims of a plain typed-array feed; one named dim can be inferred from the length. */
function staticDims(shape: Shape, length: number, tensor: Tensor): number[] {
  const named = shape.filter((dim) => typeof dim === 'string');
  if (named.length > 1) {
    throw new ShapeError(
      `feed ${tensor.toString()}: give dims, the shape has several named dimensions`,
    );
  }
  const known = shape.reduce<number>(
    (product, dim) => (typeof dim === 'number' ? product * dim : product),
    1,
  );
  const inferred = known === 0 ? 0 : length / known;
  return shape.map((dim) => (typeof dim === 'number' ? dim : inferred));
}

function checkDims(tensor: Tensor, dims: readonly number[], length: number): void {
  const count = dims.reduce((product, dim) => product * dim, 1);
  const matches =
    dims.length === tensor.rank &&
    count === length &&
    tensor.shape.every((dim, index) => typeof dim === 'string' || dim === dims[index]);
  if (!matches) {
    throw new ShapeError(
      `feed ${tensor.name}: ${length} values with dims ${formatShape(dims)} do not fit shape ${formatShape(tensor.shape)}`,
    );
  }
}
