import { Graph, GraphNode, nodesReaching } from './graph';
import { GatherGradient, GradientContribution } from './gradient-rule';
import { add, gradientRules } from './ops';
import { rowSparseGradient, scatterGatherGradients } from './row-sparse';
import { ShapeError, Tensor, formatShape, isFloat } from './tensor';

export interface DifferentiateOptions {
  /**
   * Parameters whose gradient is returned row-sparse, mapped to a 1-D int64 graph input that
   * lists unique row indices. Only those rows of the gradient are computed and returned.
   */
  rowSparse?: ReadonlyMap<string, Tensor>;
}

export interface ParameterGradient {
  parameter: Tensor;
  /** Dense gradient with the parameter's shape, or the listed rows when `rows` is set. */
  gradient: Tensor;
  rows?: Tensor;
}

/**
 * Appends to the loss's graph the reverse-mode gradient of the scalar `loss` with respect to
 * `parameters`. Only nodes on a path from a parameter to the loss get gradient nodes. A
 * parameter that does not reach the loss gets no entry in the result.
 */
export function differentiate(
  loss: Tensor,
  parameters: readonly Tensor[],
  options: DifferentiateOptions = {},
): Map<string, ParameterGradient> {
  const graph = loss.graph as Graph;
  checkLoss(loss);
  const contributions = backpropagate(graph, loss, parameters);

  const result = new Map<string, ParameterGradient>();
  for (const parameter of parameters) {
    const parts = contributions.get(parameter.name) ?? [];
    if (parts.length === 0) {
      continue;
    }
    const rows = options.rowSparse?.get(parameter.name);
    const gradient = rows ? sparseSum(parameter, rows, parts) : denseSum(parameter, parts);
    const named = graph.addNode(
      'Identity',
      [gradient],
      [gradient],
      {},
      { outputName: `gradient/${parameter.name}` },
    )[0];
    result.set(parameter.name, { parameter, gradient: named, rows });
  }
  return result;
}

function checkLoss(loss: Tensor): void {
  const isScalar = loss.shape.every((dim) => dim === 1);
  if (!isScalar || !isFloat(loss.dtype)) {
    throw new ShapeError(
      `differentiate: loss ${loss.name} must be a float scalar, got ${loss.dtype}${formatShape(loss.shape)}`,
    );
  }
}

function backpropagate(
  graph: Graph,
  loss: Tensor,
  parameters: readonly Tensor[],
): Map<string, GradientContribution[]> {
  const dependent = dependentTensors(graph, parameters);
  const nodes = nodesReaching(graph, [loss]).filter((node) =>
    node.outputs.some((output) => dependent.has(output.name)),
  );
  const contributions = new Map<string, GradientContribution[]>();
  const seed = graph.constant({
    dtype: loss.dtype,
    shape: loss.shape as number[],
    data: loss.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1),
  });
  contributions.set(loss.name, [seed]);

  for (const node of [...nodes].reverse()) {
    const outputGradients = node.outputs.map((output) =>
      accumulate(output, contributions.get(output.name)),
    );
    if (outputGradients.every((gradient) => gradient === undefined)) {
      continue;
    }
    const required = node.inputs.map(
      (input) => input !== undefined && isFloat(input.dtype) && dependent.has(input.name),
    );
    const inputGradients = ruleFor(node)(node, outputGradients, required);
    node.inputs.forEach((input, index) => {
      const gradient = inputGradients[index];
      if (input !== undefined && required[index] && gradient !== undefined) {
        contributions.set(input.name, [...(contributions.get(input.name) ?? []), gradient]);
      }
    });
  }
  return contributions;
}

/** Names of float tensors whose value depends on at least one parameter. */
function dependentTensors(graph: Graph, parameters: readonly Tensor[]): Set<string> {
  const dependent = new Set(parameters.map((parameter) => parameter.name));
  for (const node of graph.nodes) {
    if (node.inputs.some((input) => input !== undefined && dependent.has(input.name))) {
      node.outputs
        .filter((output) => isFloat(output.dtype))
        .forEach((output) => dependent.add(output.name));
    }
  }
  return dependent;
}

function ruleFor(node: GraphNode): (typeof gradientRules)[string] {
  const rule = gradientRules[node.opType];
  if (rule === undefined) {
    throw new Error(
      `differentiate: operator ${node.opType} (output ${node.outputs[0]?.name}) has no gradient rule`,
    );
  }
  return rule;
}

/** Sums the contributions to one intermediate tensor; Gather gradients become dense here. */
function accumulate(
  tensor: Tensor,
  parts: readonly GradientContribution[] | undefined,
): Tensor | undefined {
  if (parts === undefined || parts.length === 0) {
    return undefined;
  }
  return denseSum(tensor, parts);
}

function denseSum(tensor: Tensor, parts: readonly GradientContribution[]): Tensor {
  const dense = parts.filter((part): part is Tensor => part instanceof Tensor);
  const gathers = parts.filter((part): part is GatherGradient => !(part instanceof Tensor));
  const summed = dense.length > 0 ? dense.reduce((total, part) => add(total, part)) : undefined;
  return gathers.length > 0 ? scatterGatherGradients(tensor, gathers, summed) : (summed as Tensor);
}

function sparseSum(
  parameter: Tensor,
  rows: Tensor,
  parts: readonly GradientContribution[],
): Tensor {
  const dense = parts.filter((part): part is Tensor => part instanceof Tensor);
  const gathers = parts.filter((part): part is GatherGradient => !(part instanceof Tensor));
  const summed = dense.length > 0 ? dense.reduce((total, part) => add(total, part)) : undefined;
  return rowSparseGradient(parameter, rows, gathers, summed);
}
