import { GradientRule } from '../gradient-rule';
import { elementwiseGradients } from './elementwise';
import { indexingGradients } from './indexing';
import { matMulGradients } from './matmul';
import { nnGradients } from './nn';
import { reduceGradients } from './reduce';
import { shapeGradients } from './shape';

export * from './elementwise';
export * from './indexing';
export * from './matmul';
export * from './nn';
export * from './reduce';
export * from './shape';
export type { Operand } from './common';

/** Gradient rules keyed by ONNX operator type. */
export const gradientRules: Readonly<Record<string, GradientRule>> = {
  ...elementwiseGradients,
  ...matMulGradients,
  ...reduceGradients,
  ...shapeGradients,
  ...indexingGradients,
  ...nnGradients,
};
