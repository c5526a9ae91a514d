import { differentiate } from '../autodiff';
import { Graph } from '../graph';
import { constant, mul, reduceSum } from '../ops';
import { EngineSession, Feed, ParameterTensor, TrainingSession } from '../session';
import { FloatDType, Tensor, elementCount } from '../tensor';
import { TestRng } from './test-rng';

export interface CheckedInput {
  name: string;
  shape: readonly number[];
  /** Values; random normals when omitted. */
  values?: readonly number[];
}

export interface GradientCheckCase {
  dtype?: FloatDType;
  /** Differentiable operands, declared as parameters. */
  parameters: readonly CheckedInput[];
  /** Builds the operator under test from the declared parameters. */
  build: (graph: Graph, parameters: Tensor[]) => Tensor;
  /** Finite-difference step. Default 1e-5. */
  epsilon?: number;
  seed?: number;
  feeds?: Record<string, Feed>;
}

export interface GradientCheckResult {
  /** Norm-wise relative error ||analytic - numeric|| / max(||analytic||, ||numeric||) per parameter. */
  relativeErrors: Map<string, number>;
  /** True when every parameter received a gradient output. */
  allGradientsPresent: boolean;
}

/**
 * Compares the gradient that ONNX Runtime computes from the appended gradient graph with
 * central finite differences of the forward loss, loss = sum(output * R) with fixed random R.
 */
export async function checkGradients(testCase: GradientCheckCase): Promise<GradientCheckResult> {
  const dtype = testCase.dtype ?? 'float64';
  const rng = new TestRng(testCase.seed ?? 7);
  const graph = new Graph('gradient_check');
  const tensors = testCase.parameters.map((input) =>
    graph.parameter(input.name, dtype, input.shape),
  );
  const output = testCase.build(graph, tensors);
  const weights = constant(
    graph,
    dtype,
    output.shape as number[],
    rng.array(elementCount(output.shape)),
  );
  const loss = reduceSum(mul(output, weights));
  const gradients = differentiate(loss, tensors);

  const parameters: ParameterTensor[] = testCase.parameters.map((input) => {
    const values = input.values ?? rng.array(elementCount(input.shape));
    const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    return { name: input.name, shape: input.shape, data };
  });
  const feeds = testCase.feeds ?? {};
  const training = await TrainingSession.create(loss, gradients);
  const forward = await EngineSession.create(graph, [loss]);
  try {
    const { gradients: analytic } = await training.step(feeds, parameters);
    const relativeErrors = new Map<string, number>();
    for (const parameter of parameters) {
      const gradient = analytic.get(parameter.name);
      const numeric = await numericGradient(
        forward,
        loss,
        feeds,
        parameters,
        parameter,
        testCase.epsilon ?? 1e-5,
      );
      relativeErrors.set(
        parameter.name,
        gradient ? relativeError(gradient.values, numeric) : Infinity,
      );
    }
    return { relativeErrors, allGradientsPresent: parameters.every((p) => analytic.has(p.name)) };
  } finally {
    await training.release();
    await forward.release();
  }
}

async function numericGradient(
  forward: EngineSession,
  loss: Tensor,
  feeds: Record<string, Feed>,
  parameters: readonly ParameterTensor[],
  parameter: ParameterTensor,
  epsilon: number,
): Promise<Float64Array> {
  const evaluate = async (): Promise<number> => {
    const all: Record<string, Feed> = { ...feeds };
    for (const entry of parameters) {
      all[entry.name] = { data: entry.data, dims: entry.shape };
    }
    const results = await forward.run(all);
    return Number(results.get(loss.name)?.data[0]);
  };
  const numeric = new Float64Array(parameter.data.length);
  for (let index = 0; index < parameter.data.length; index++) {
    const original = parameter.data[index];
    parameter.data[index] = original + epsilon;
    const plus = await evaluate();
    parameter.data[index] = original - epsilon;
    const minus = await evaluate();
    parameter.data[index] = original;
    numeric[index] = (plus - minus) / (2 * epsilon);
  }
  return numeric;
}

export function relativeError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  let difference = 0;
  let normA = 0;
  let normN = 0;
  for (let index = 0; index < numeric.length; index++) {
    difference += (analytic[index] - numeric[index]) ** 2;
    normA += analytic[index] ** 2;
    normN += numeric[index] ** 2;
  }
  if (analytic.length !== numeric.length) {
    return Infinity;
  }
  const scale = Math.max(Math.sqrt(normA), Math.sqrt(normN));
  return scale === 0 ? 0 : Math.sqrt(difference) / scale;
}
