/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { Graph } from './graph';
import * as op from './ops';
import { Tensor } from './tensor';
import { CheckedInput, checkGradients } from './testing/gradient-check';

/** Largest accepted norm-wise relative error between analytic and numeric gradients in float64. */
const TOLERANCE = 1e-6;

interface Case {
  name: string;
  parameters: CheckedInput[];
  build: (graph: Graph, parameters: Tensor[]) => Tensor;
}

const matMulCases: Case[] = [
  {
    name: 'MatMul 2-D',
    parameters: [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [3, 4] },
    ],
    build: (_g, [a, b]) => op.matMul(a, b),
  },
  {
    name: 'MatMul shared weight',
    parameters: [
      { name: 'a', shape: [2, 3, 4] },
      { name: 'b', shape: [4, 5] },
    ],
    build: (_g, [a, b]) => op.matMul(a, b),
  },
  {
    name: 'MatMul batch broadcast',
    parameters: [
      { name: 'a', shape: [2, 1, 3, 4] },
      { name: 'b', shape: [3, 4, 2] },
    ],
    build: (_g, [a, b]) => op.matMul(a, b),
  },
  {
    name: 'MatMul left broadcast',
    parameters: [
      { name: 'a', shape: [3, 4] },
      { name: 'b', shape: [2, 4, 5] },
    ],
    build: (_g, [a, b]) => op.matMul(a, b),
  },
];

const reduceCases: Case[] = [
  {
    name: 'ReduceSum one axis',
    parameters: [{ name: 'x', shape: [2, 3, 4] }],
    build: (_g, [x]) => op.reduceSum(x, [1]),
  },
  {
    name: 'ReduceSum keepdims',
    parameters: [{ name: 'x', shape: [2, 3, 4] }],
    build: (_g, [x]) => op.reduceSum(x, [0, 2], true),
  },
  {
    name: 'ReduceMean',
    parameters: [{ name: 'x', shape: [2, 3, 4] }],
    build: (_g, [x]) => op.reduceMean(x, [-1]),
  },
  {
    name: 'ReduceMean all',
    parameters: [{ name: 'x', shape: [2, 3] }],
    build: (_g, [x]) => op.reduceMean(x),
  },
  {
    name: 'ReduceMax',
    parameters: [{ name: 'x', shape: [3, 5] }],
    build: (_g, [x]) => op.reduceMax(x, [1]),
  },
  {
    name: 'ReduceMax keepdims',
    parameters: [{ name: 'x', shape: [3, 5] }],
    build: (_g, [x]) => op.reduceMax(x, [0], true),
  },
  {
    name: 'Softmax last axis',
    parameters: [{ name: 'x', shape: [3, 5] }],
    build: (_g, [x]) => op.softmax(x),
  },
  {
    name: 'Softmax axis 0',
    parameters: [{ name: 'x', shape: [3, 2, 4] }],
    build: (_g, [x]) => op.softmax(x, 0),
  },
  {
    name: 'Softmax into MatMul',
    parameters: [
      { name: 'x', shape: [2, 3, 5] },
      { name: 'v', shape: [2, 5, 2] },
    ],
    build: (_g, [x, v]) => op.matMul(op.softmax(x), v),
  },
  {
    name: 'Softmax into MatMul and Exp',
    parameters: [
      { name: 'x', shape: [3, 5] },
      { name: 'v', shape: [5, 2] },
    ],
    build: (_g, [x, v]) => {
      const y = op.softmax(x);
      return op.add(op.matMul(y, v), op.reduceSum(op.exp(y), [1], true));
    },
  },
  {
    name: 'LogSoftmax',
    parameters: [{ name: 'x', shape: [3, 5] }],
    build: (_g, [x]) => op.logSoftmax(x),
  },
];

const shapeCases: Case[] = [
  {
    name: 'Transpose',
    parameters: [{ name: 'x', shape: [2, 3, 4] }],
    build: (_g, [x]) => op.transpose(x, [2, 0, 1]),
  },
  {
    name: 'Reshape',
    parameters: [{ name: 'x', shape: [2, 6] }],
    build: (_g, [x]) => op.reshape(x, [3, 4]),
  },
  {
    name: 'Reshape inferred',
    parameters: [{ name: 'x', shape: [2, 3, 4] }],
    build: (_g, [x]) => op.reshape(x, [-1, 4]),
  },
  {
    name: 'Unsqueeze',
    parameters: [{ name: 'x', shape: [2, 3] }],
    build: (_g, [x]) => op.mul(op.unsqueeze(x, [0, 2]), 1.5),
  },
  {
    name: 'Squeeze',
    parameters: [{ name: 'x', shape: [2, 1, 3] }],
    build: (_g, [x]) => op.squeeze(x, [1]),
  },
  {
    name: 'Concat',
    parameters: [
      { name: 'a', shape: [2, 1] },
      { name: 'b', shape: [2, 3] },
      { name: 'c', shape: [2, 2] },
    ],
    build: (_g, [a, b, c]) => op.concat([a, b, c], 1),
  },
  {
    name: 'Slice',
    parameters: [{ name: 'x', shape: [4, 5] }],
    build: (_g, [x]) => op.slice(x, [1, -3], [3, 100], [0, 1]),
  },
  {
    name: 'Gather repeated indices',
    parameters: [{ name: 'table', shape: [5, 3] }],
    build: (g, [table]) => op.gather(table, op.constant(g, 'int64', [2, 3], [1, 4, 1, 0, 1, 4])),
  },
];

const nnCases: Case[] = [
  {
    name: 'LayerNormalization last axis',
    parameters: [
      { name: 'x', shape: [2, 3, 4] },
      { name: 'scale', shape: [4] },
      { name: 'bias', shape: [4] },
    ],
    build: (_g, [x, scale, bias]) => op.layerNormalization(x, scale, bias),
  },
  {
    name: 'LayerNormalization two axes',
    parameters: [
      { name: 'x', shape: [2, 3, 4] },
      { name: 'scale', shape: [3, 4] },
      { name: 'bias', shape: [3, 4] },
    ],
    build: (_g, [x, scale, bias]) => op.layerNormalization(x, scale, bias, { axis: 1 }),
  },
  {
    name: 'Dropout with mask',
    parameters: [{ name: 'x', shape: [2, 3] }],
    build: (g, [x]) =>
      op.dropout(x, { ratio: 0.25, mask: op.constant(g, 'bool', [2, 3], [1, 0, 1, 1, 1, 0]) }),
  },
];

describe.each([
  ['MatMul', matMulCases],
  ['reduce', reduceCases],
  ['shape', shapeCases],
  ['nn', nnCases],
])('gradient rules: %s (float64)', (_group, cases) => {
  it.each(cases)('$name', async ({ parameters, build }) => {
    const result = await checkGradients({ parameters, build });

    expect(result.allGradientsPresent).toBe(true);
    for (const parameter of parameters) {
      expect(result.relativeErrors.get(parameter.name)).toBeLessThan(TOLERANCE);
    }
  });
});
