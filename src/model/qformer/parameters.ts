import { ConstantValue, Graph } from '../engine/graph';
import { ParameterTensor } from '../engine/optim/adamw';
import { createRng, fillNormal, fillXavierUniform } from '../engine/random';
import { Tensor } from '../engine/tensor';

/** Distribution of a parameter's initial values. */
export type Initializer =
  | { kind: 'normal'; std: number }
  | { kind: 'xavier' }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'recency' };

export interface ParameterSpec {
  name: string;
  shape: readonly number[];
  initializer: Initializer;
}

/**
 * Declares float32 parameters on a graph and records how to initialise them, so that the
 * training and the inference graph of one configuration declare the same list.
 */
export class ParameterRegistry {
  readonly specs: ParameterSpec[] = [];

  /** `prefix` starts every parameter name, so that several models can share one graph. */
  constructor(
    readonly graph: Graph,
    private readonly prefix = '',
  ) {}

  create(name: string, shape: readonly number[], initializer: Initializer): Tensor {
    const fullName = `${this.prefix}${name}`;
    this.specs.push({ name: fullName, shape, initializer });
    return this.graph.parameter(fullName, 'float32', shape);
  }
}

/** Name prefix of ensemble member k's parameters in an exported ensemble. */
export function memberPrefix(member: number): string {
  return `member.${member}.`;
}

/**
 * Draws initial values for every parameter. Each parameter has its own generator forked from
 * `seed` by name, so adding a parameter leaves the values of the others unchanged.
 */
export function initializeParameters(
  specs: readonly ParameterSpec[],
  seed: number,
): ParameterTensor[] {
  const rng = createRng(seed);
  return specs.map((spec) => {
    const length = spec.shape.reduce((product, dim) => product * dim, 1);
    const data = new Float32Array(length);
    const stream = rng.fork(spec.name);
    switch (spec.initializer.kind) {
      case 'normal':
        fillNormal(stream, data, spec.initializer.std);
        break;
      case 'xavier':
        fillXavierUniform(stream, data, spec.shape[0], spec.shape[spec.shape.length - 1]);
        break;
      case 'zeros':
        break;
      case 'ones':
        data.fill(1);
        break;
      case 'recency':
        fillRecencyBias(data, spec.shape[0], spec.shape[1]);
        break;
    }
    return { name: spec.name, shape: [...spec.shape], data };
  });
}

/** Returns deep copies of parameter values, for keeping the best epoch's weights. */
export function cloneParameters(parameters: readonly ParameterTensor[]): ParameterTensor[] {
  return parameters.map((parameter) => ({
    name: parameter.name,
    shape: [...parameter.shape],
    data: parameter.data.slice(),
  }));
}

/** Converts parameters into the initializer values of an exported graph. */
export function toConstantValues(
  parameters: readonly ParameterTensor[],
): Map<string, ConstantValue> {
  return new Map(
    parameters.map((parameter) => [
      parameter.name,
      { dtype: 'float32', shape: parameter.shape, data: parameter.data },
    ]),
  );
}

/** Checks that `parameters` match `specs` by name and shape; throws naming the first mismatch. */
export function checkParametersMatch(
  specs: readonly ParameterSpec[],
  parameters: readonly ParameterTensor[],
): void {
  const byName = new Map(parameters.map((parameter) => [parameter.name, parameter]));
  for (const spec of specs) {
    const parameter = byName.get(spec.name);
    if (parameter === undefined) {
      throw new Error(`parameter ${spec.name} is missing`);
    }
    if (parameter.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(
        `parameter ${spec.name} has shape [${parameter.shape.join(', ')}], ` +
          `expected [${spec.shape.join(', ')}]`,
      );
    }
  }
}

/**
 * Fills a [distances, heads] attention bias with -slope * distance, with slopes
 * 2^(-8 (h + 1) / heads) per head h as in ALiBi, so that each head starts out preferring
 * recent interactions, at its own rate.
 */
function fillRecencyBias(data: Float32Array, distances: number, heads: number): void {
  for (let distance = 0; distance < distances; distance += 1) {
    for (let head = 0; head < heads; head += 1) {
      const slope = 2 ** ((-8 * (head + 1)) / heads);
      data[distance * heads + head] = -slope * distance;
    }
  }
}
