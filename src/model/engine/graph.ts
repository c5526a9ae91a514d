import { DType, Shape, ShapeError, Tensor, TensorData, formatShape, isStaticShape } from './tensor';

/** Constant tensor value stored in a graph: an initializer or a Constant node's value. */
export interface ConstantValue {
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
}

/** ONNX node attribute, tagged with its ONNX attribute type. */
export type AttributeValue =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: ConstantValue };

export interface GraphNode {
  readonly opType: string;
  readonly domain: string;
  /** Inputs in ONNX order; `undefined` marks an omitted optional input. */
  readonly inputs: readonly (Tensor | undefined)[];
  readonly outputs: readonly Tensor[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface OutputSpec {
  dtype: DType;
  shape: Shape;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;

/**
 * Computation graph under construction. Nodes are appended in topological order because
 * an operator can only consume tensors that already exist.
 */
export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Tensor[] = [];
  readonly parameters: Tensor[] = [];
  private readonly names = new Set<string>();
  private readonly producers = new Map<string, GraphNode>();
  private nameCounter = 0;

  constructor(readonly name: string) {}

  /** Declares a data input, fed at every run. */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    const tensor = this.declare(name, dtype, shape);
    this.inputs.push(tensor);
    return tensor;
  }

  /** Declares a trainable parameter; its shape must be static. */
  parameter(name: string, dtype: DType, shape: readonly number[]): Tensor {
    if (!isStaticShape(shape)) {
      throw new ShapeError(`parameter ${name}: shape ${formatShape(shape)} must be static`);
    }
    const tensor = this.declare(name, dtype, shape);
    this.parameters.push(tensor);
    return tensor;
  }

  /** Adds a Constant node holding `value`. */
  constant(value: ConstantValue, name?: string): Tensor {
    const expected = value.shape.reduce((product, dim) => product * dim, 1);
    if (value.data.length !== expected) {
      throw new ShapeError(
        `Constant: ${value.data.length} values do not fill shape ${formatShape(value.shape)}`,
      );
    }
    const [output] = this.addNode(
      'Constant',
      [],
      [value],
      { value: { type: 'tensor', value } },
      {
        outputName: name,
      },
    );
    return output;
  }

  /** Appends a node whose output dtypes and shapes the caller has already inferred. */
  addNode(
    opType: string,
    inputs: readonly (Tensor | undefined)[],
    outputSpecs: readonly OutputSpec[],
    attributes: Record<string, AttributeValue> = {},
    options: { domain?: string; outputName?: string } = {},
  ): Tensor[] {
    for (const input of inputs) {
      if (input !== undefined && input.graph !== this) {
        throw new Error(`${opType}: input ${input.name} belongs to graph ${input.graph.name}`);
      }
    }
    const outputs = outputSpecs.map((spec, index) => {
      const name =
        index === 0 && options.outputName !== undefined
          ? options.outputName
          : this.uniqueName(`${opType}_${index}`);
      return this.declare(name, spec.dtype, spec.shape);
    });
    const node: GraphNode = {
      opType,
      domain: options.domain ?? '',
      inputs,
      outputs,
      attributes,
    };
    this.nodes.push(node);
    for (const output of outputs) {
      this.producers.set(output.name, node);
    }
    return outputs;
  }

  /** Returns the node that produced `tensor`, or undefined for inputs and parameters. */
  producer(tensor: Tensor): GraphNode | undefined {
    return this.producers.get(tensor.name);
  }

  private uniqueName(prefix: string): string {
    let name: string;
    do {
      this.nameCounter++;
      name = `${prefix}_${this.nameCounter}`;
    } while (this.names.has(name));
    return name;
  }

  private declare(name: string, dtype: DType, shape: Shape): Tensor {
    if (!NAME_PATTERN.test(name)) {
      throw new Error(`invalid tensor name "${name}": use letters, digits, _ . : / -`);
    }
    if (this.names.has(name)) {
      throw new Error(`tensor name "${name}" is already used in graph ${this.name}`);
    }
    checkDims(name, shape);
    this.names.add(name);
    return new Tensor(this, name, dtype, [...shape]);
  }
}

function checkDims(name: string, shape: Shape): void {
  for (const dim of shape) {
    const valid = typeof dim === 'string' ? dim.length > 0 : Number.isInteger(dim) && dim >= 0;
    if (!valid) {
      throw new ShapeError(
        `tensor ${name}: invalid dimension ${String(dim)} in ${formatShape(shape)}`,
      );
    }
  }
}

/** Returns the nodes that `outputs` depend on, in graph order. */
export function nodesReaching(graph: Graph, outputs: readonly Tensor[]): GraphNode[] {
  const needed = new Set<GraphNode>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const tensor = stack.pop() as Tensor;
    const node = graph.producer(tensor);
    if (node === undefined || needed.has(node)) {
      continue;
    }
    needed.add(node);
    for (const input of node.inputs) {
      if (input !== undefined) {
        stack.push(input);
      }
    }
  }
  return graph.nodes.filter((node) => needed.has(node));
}
