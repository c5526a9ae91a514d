import { onnx } from 'onnx-proto';

import { AttributeValue, ConstantValue, Graph, GraphNode, nodesReaching } from './graph';
import type { ParameterTensor } from './optim/adamw';
import { DType, Tensor } from './tensor';

/**
 * Default ONNX opset. Opset 18 is the first where every Reduce* operator takes its axes as an
 * input, and LayerNormalization exists since opset 17. Opset 20 adds the Gelu operator.
 */
export const ONNX_OPSET = 20;

/** IR version 9 is the one ONNX pairs with opset 20. */
const IR_VERSION = 9;

const ONNX_DATA_TYPES: Record<DType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface SerializeOptions {
  /** Graph outputs, in order. */
  outputs: readonly Tensor[];
  /**
   * Values for the graph's parameters. When given, parameters become initializers, as in an
   * exported inference model. When omitted, parameters become graph inputs fed at each run,
   * as in a training graph.
   */
  parameterValues?: ReadonlyMap<string, ConstantValue>;
}

/** Builds the ONNX ModelProto for the part of `graph` that computes `options.outputs`. */
export function toModelProto(graph: Graph, options: SerializeOptions): onnx.ModelProto {
  const nodes = nodesReaching(graph, options.outputs);
  const used = usedTensorNames(nodes, options.outputs);
  const parameters = graph.parameters.filter((parameter) => used.has(parameter.name));

  const initializers = options.parameterValues
    ? parameters.map((parameter) =>
        toTensorProto(parameter.name, parameterValue(parameter, options.parameterValues)),
      )
    : [];
  const parameterInputs = options.parameterValues ? [] : parameters;
  const inputs = [...graph.inputs.filter((input) => used.has(input.name)), ...parameterInputs];

  const graphProto = onnx.GraphProto.create({
    name: graph.name,
    node: nodes.map((node, index) => toNodeProto(node, index)),
    input: inputs.map(toValueInfo),
    output: options.outputs.map(toValueInfo),
    initializer: initializers,
  });
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'qrec-engine',
    opsetImport: opsetImports(nodes),
    graph: graphProto,
  });
}

/** Serialises the model to the ONNX protobuf wire format. */
export function serializeModel(graph: Graph, options: SerializeOptions): Uint8Array {
  return onnx.ModelProto.encode(toModelProto(graph, options)).finish();
}

/**
 * Serialises an inference model: the nodes that compute `outputs`, with the parameters stored
 * as initializers, so that the model needs only its data inputs.
 */
export function exportInferenceModel(
  graph: Graph,
  outputs: readonly Tensor[],
  parameters: readonly ParameterTensor[],
): Uint8Array {
  const parameterValues = new Map<string, ConstantValue>(
    parameters.map((parameter) => [
      parameter.name,
      {
        dtype: parameter.data instanceof Float64Array ? 'float64' : 'float32',
        shape: parameter.shape,
        data: parameter.data,
      },
    ]),
  );
  return serializeModel(graph, { outputs, parameterValues });
}

function usedTensorNames(nodes: readonly GraphNode[], outputs: readonly Tensor[]): Set<string> {
  const used = new Set(outputs.map((output) => output.name));
  for (const node of nodes) {
    for (const input of node.inputs) {
      if (input !== undefined) {
        used.add(input.name);
      }
    }
  }
  return used;
}

function parameterValue(
  parameter: Tensor,
  values: ReadonlyMap<string, ConstantValue> | undefined,
): ConstantValue {
  const value = values?.get(parameter.name);
  if (value === undefined) {
    throw new Error(`missing value for parameter ${parameter.name}`);
  }
  if (value.dtype !== parameter.dtype || value.shape.join() !== parameter.shape.join()) {
    throw new Error(
      `parameter ${parameter.name}: value is ${value.dtype}[${value.shape.join(', ')}], ` +
        `expected ${parameter.dtype}[${parameter.shape.join(', ')}]`,
    );
  }
  return value;
}

function opsetImports(nodes: readonly GraphNode[]): onnx.IOperatorSetIdProto[] {
  const imports: onnx.IOperatorSetIdProto[] = [{ domain: '', version: ONNX_OPSET }];
  if (nodes.some((node) => node.domain === 'com.microsoft')) {
    imports.push({ domain: 'com.microsoft', version: 1 });
  }
  return imports;
}

function toNodeProto(node: GraphNode, index: number): onnx.INodeProto {
  return {
    name: `${node.opType}_${index}`,
    opType: node.opType,
    domain: node.domain,
    input: node.inputs.map((input) => input?.name ?? ''),
    output: node.outputs.map((output) => output.name),
    attribute: Object.entries(node.attributes).map(([name, value]) => toAttribute(name, value)),
  };
}

function toAttribute(name: string, attribute: AttributeValue): onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  switch (attribute.type) {
    case 'int':
      return { name, type: types.INT, i: attribute.value };
    case 'ints':
      return { name, type: types.INTS, ints: [...attribute.value] };
    case 'float':
      return { name, type: types.FLOAT, f: attribute.value };
    case 'string':
      return { name, type: types.STRING, s: Buffer.from(attribute.value, 'utf8') };
    case 'tensor':
      return { name, type: types.TENSOR, t: toTensorProto('', attribute.value) };
  }
}

/** Converts a constant to a TensorProto with little-endian raw data, as ONNX requires. */
export function toTensorProto(name: string, value: ConstantValue): onnx.ITensorProto {
  const data = value.data;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return {
    name,
    dims: [...value.shape],
    dataType: ONNX_DATA_TYPES[value.dtype],
    rawData: Uint8Array.from(bytes),
  };
}

function toValueInfo(tensor: Tensor): onnx.IValueInfoProto {
  const dims = tensor.shape.map((dim) =>
    typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim },
  );
  return {
    name: tensor.name,
    type: { tensorType: { elemType: ONNX_DATA_TYPES[tensor.dtype], shape: { dim: dims } } },
  };
}
