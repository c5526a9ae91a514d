import { GraphNode } from './graph';
import { Tensor } from './tensor';

/**
 * Gradient of an embedding table from one Gather node, kept unmaterialised so that autodiff
 * can emit either a dense scatter-add or only the requested rows.
 */
export interface GatherGradient {
  kind: 'gather';
  table: Tensor;
  indices: Tensor;
  outputGradient: Tensor;
}

export type GradientContribution = Tensor | GatherGradient;

/**
 * Vector-Jacobian product of one operator: given the gradients of the loss with respect to
 * the node's outputs (undefined where an output does not reach the loss), appends nodes that
 * compute the gradients with respect to the inputs listed in `required`.
 */
export type GradientRule = (
  node: GraphNode,
  outputGradients: readonly (Tensor | undefined)[],
  required: readonly boolean[],
) => readonly (GradientContribution | undefined)[];
