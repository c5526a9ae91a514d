/**
 * Training engine: builds typed ONNX graphs, appends reverse-mode gradients and runs training
 * steps in onnxruntime-node. It has no NestJS dependency.
 */
export { differentiate } from './autodiff';
export type { DifferentiateOptions, ParameterGradient } from './autodiff';
export { Graph } from './graph';
export type { AttributeValue, ConstantValue, GraphNode } from './graph';
export { ONNX_OPSET, exportInferenceModel, serializeModel, toModelProto } from './onnx-serializer';
export type { SerializeOptions } from './onnx-serializer';
export * as op from './ops';
export {
  EXECUTION_PROVIDERS,
  GRAPH_OPTIMIZATION_LEVELS,
  ProviderUnavailableError,
} from './providers';
export type { EngineSessionOptions, ExecutionProvider, GraphOptimizationLevel } from './providers';
export { EngineSession, TrainingSession } from './session';
export type { Feed, Gradient, ParameterTensor, StepResult } from './session';
export { ShapeError, Tensor } from './tensor';
export type { DType, Dim, Shape } from './tensor';
