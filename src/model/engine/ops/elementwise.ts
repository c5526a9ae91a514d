import { GraphNode } from '../graph';
import { GradientRule } from '../gradient-rule';
import { DType, ShapeError, Tensor, broadcastShapes, isFloat } from '../tensor';
import { Operand, graphOf, requireDType, requireSameDType, toTensor } from './common';
import { sumToShape } from './reduce';

const NUMERIC: readonly DType[] = ['float32', 'float64', 'int64'];
const FLOATS: readonly DType[] = ['float32', 'float64'];

function resolveOperands(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ShapeError(`${op}: at least one operand must be a tensor`);
  }
  const x = typeof a === 'number' ? toTensor(a, b as Tensor) : a;
  const y = toTensor(b, x);
  requireSameDType(op, x, y);
  return [x, y];
}

function binary(opType: string, a: Operand, b: Operand, allowed = NUMERIC): Tensor {
  const [x, y] = resolveOperands(opType, a, b);
  requireDType(opType, x, allowed);
  const shape = broadcastShapes(opType, x.shape, y.shape);
  return graphOf(x).addNode(opType, [x, y], [{ dtype: x.dtype, shape }])[0];
}

function comparison(opType: string, a: Operand, b: Operand): Tensor {
  const [x, y] = resolveOperands(opType, a, b);
  const shape = broadcastShapes(opType, x.shape, y.shape);
  return graphOf(x).addNode(opType, [x, y], [{ dtype: 'bool', shape }])[0];
}

function unary(opType: string, x: Tensor, allowed = FLOATS): Tensor {
  requireDType(opType, x, allowed);
  return graphOf(x).addNode(opType, [x], [{ dtype: x.dtype, shape: x.shape }])[0];
}

export const add = (a: Operand, b: Operand): Tensor => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('Div', a, b);
export const equal = (a: Operand, b: Operand): Tensor => comparison('Equal', a, b);
export const less = (a: Operand, b: Operand): Tensor => comparison('Less', a, b);
export const greater = (a: Operand, b: Operand): Tensor => comparison('Greater', a, b);

export const neg = (x: Tensor): Tensor => unary('Neg', x, NUMERIC);
export const exp = (x: Tensor): Tensor => unary('Exp', x);
export const log = (x: Tensor): Tensor => unary('Log', x);
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
export const relu = (x: Tensor): Tensor => unary('Relu', x);
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('Tanh', x);

/**
 * Error function, float32 only: the ONNX Runtime 1.31 CPU provider has no float64 Erf kernel,
 * so a float64 graph would fail when the session is created.
 */
export const erf = (x: Tensor): Tensor => unary('Erf', x, ['float32']);

/**
 * Exact (erf-based) GELU, the ONNX Gelu operator of opset 20. Float32 only, because ONNX
 * Runtime 1.31 expands Gelu into Erf for float64 and has no float64 Erf kernel.
 */
export const gelu = (x: Tensor): Tensor => unary('Gelu', x, ['float32']);

/** Raises `x` to a constant `exponent`. */
export function pow(x: Tensor, exponent: number): Tensor {
  return binary('Pow', x, exponent, FLOATS);
}

/** Picks `x` where `condition` is true and `y` elsewhere, broadcasting all three. */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  requireDType('Where', condition, ['bool']);
  const [x, y] = resolveOperands('Where', a, b);
  const valueShape = broadcastShapes('Where', x.shape, y.shape);
  const shape = broadcastShapes('Where', condition.shape, valueShape);
  return graphOf(x).addNode('Where', [condition, x, y], [{ dtype: x.dtype, shape }])[0];
}

export function cast(x: Tensor, dtype: DType): Tensor {
  const to = { float32: 1, float64: 11, int64: 7, bool: 9 }[dtype];
  return graphOf(x).addNode('Cast', [x], [{ dtype, shape: x.shape }], {
    to: { type: 'int', value: to },
  })[0];
}

function inputs(node: GraphNode): Tensor[] {
  return node.inputs.map((input) => {
    if (input === undefined) {
      throw new Error(`${node.opType}: gradient rule needs all inputs`);
    }
    return input;
  });
}

/** Reads the value of a rank-0 Constant input, such as the exponent of Pow. */
function constantScalar(tensor: Tensor): number {
  const producer = graphOf(tensor).producer(tensor);
  const attribute = producer?.attributes.value;
  if (producer?.opType !== 'Constant' || attribute?.type !== 'tensor') {
    throw new Error(`${tensor.name}: expected a Constant`);
  }
  return Number(attribute.value.data[0]);
}

const addRule: GradientRule = (node, [dy]) => {
  const [a, b] = inputs(node);
  return [sumToShape(dy!, a.shape), sumToShape(dy!, b.shape)];
};

const subRule: GradientRule = (node, [dy], required) => {
  const [a, b] = inputs(node);
  return [sumToShape(dy!, a.shape), required[1] ? sumToShape(neg(dy!), b.shape) : undefined];
};

const mulRule: GradientRule = (node, [dy], required) => {
  const [a, b] = inputs(node);
  return [
    required[0] ? sumToShape(mul(dy!, b), a.shape) : undefined,
    required[1] ? sumToShape(mul(dy!, a), b.shape) : undefined,
  ];
};

const divRule: GradientRule = (node, [dy], required) => {
  const [a, b] = inputs(node);
  const y = node.outputs[0];
  return [
    required[0] ? sumToShape(div(dy!, b), a.shape) : undefined,
    required[1] ? sumToShape(neg(div(mul(dy!, y), b)), b.shape) : undefined,
  ];
};

const powRule: GradientRule = (node, [dy]) => {
  const [x, exponentTensor] = inputs(node);
  const exponent = constantScalar(exponentTensor);
  const slope = mul(pow(x, exponent - 1), exponent);
  return [mul(dy!, slope), undefined];
};

const reluRule: GradientRule = (node, [dy]) => {
  const [x] = inputs(node);
  return [where(greater(x, 0), dy!, 0)];
};

const sigmoidRule: GradientRule = (node, [dy]) => {
  const y = node.outputs[0];
  return [mul(dy!, mul(y, sub(1, y)))];
};

const tanhRule: GradientRule = (node, [dy]) => {
  const y = node.outputs[0];
  return [mul(dy!, sub(1, mul(y, y)))];
};

/** d/dx GELU(x) = Phi(x) + x * phi(x), with Phi and phi the standard normal CDF and PDF. */
const geluRule: GradientRule = (node, [dy]) => {
  const [x] = inputs(node);
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return [mul(dy!, add(cdf, mul(x, pdf)))];
};

const erfRule: GradientRule = (node, [dy]) => {
  const [x] = inputs(node);
  return [mul(dy!, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))];
};

const whereRule: GradientRule = (node, [dy], required) => {
  const [condition, x, y] = inputs(node);
  return [
    undefined,
    required[1] ? sumToShape(where(condition, dy!, 0), x.shape) : undefined,
    required[2] ? sumToShape(where(condition, 0, dy!), y.shape) : undefined,
  ];
};

const castRule: GradientRule = (node, [dy]) => {
  const [x] = inputs(node);
  return [isFloat(x.dtype) ? cast(dy!, x.dtype) : undefined];
};

export const elementwiseGradients: Record<string, GradientRule> = {
  Add: addRule,
  Sub: subRule,
  Mul: mulRule,
  Div: divRule,
  Pow: powRule,
  Neg: (_node, [dy]) => [neg(dy!)],
  Exp: (node, [dy]) => [mul(dy!, node.outputs[0])],
  Log: (node, [dy]) => [div(dy!, inputs(node)[0])],
  Sqrt: (node, [dy]) => [div(mul(dy!, 0.5), node.outputs[0])],
  Relu: reluRule,
  Sigmoid: sigmoidRule,
  Tanh: tanhRule,
  Gelu: geluRule,
  Erf: erfRule,
  Where: whereRule,
  Cast: castRule,
};
