/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { Graph } from './graph';
import * as op from './ops';
import { Tensor } from './tensor';
import { CheckedInput, checkGradients } from './testing/gradient-check';

/** Largest accepted norm-wise relative error between analytic and numeric gradients in float64. */
const TOLERANCE = 1e-6;

const positive = (count: number): number[] =>
  Array.from({ length: count }, (_v, i) => 0.5 + ((i * 7) % 11) / 10);

interface Case {
  name: string;
  parameters: CheckedInput[];
  build: (graph: Graph, parameters: Tensor[]) => Tensor;
  epsilon?: number;
}

const cases: Case[] = [
  {
    name: 'Add broadcast row',
    parameters: [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [3] },
    ],
    build: (_g, [a, b]) => op.add(a, b),
  },
  {
    name: 'Add broadcast both',
    parameters: [
      { name: 'a', shape: [2, 1, 3] },
      { name: 'b', shape: [4, 1] },
    ],
    build: (_g, [a, b]) => op.add(a, b),
  },
  {
    name: 'Sub broadcast column',
    parameters: [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [2, 1] },
    ],
    build: (_g, [a, b]) => op.sub(a, b),
  },
  {
    name: 'Mul broadcast',
    parameters: [
      { name: 'a', shape: [2, 3, 4] },
      { name: 'b', shape: [4] },
    ],
    build: (_g, [a, b]) => op.mul(a, b),
  },
  {
    name: 'Mul by number',
    parameters: [{ name: 'a', shape: [2, 3] }],
    build: (_g, [a]) => op.mul(a, 2.5),
  },
  {
    name: 'Div broadcast',
    parameters: [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [1, 3], values: positive(3) },
    ],
    build: (_g, [a, b]) => op.div(a, b),
  },
  { name: 'Neg', parameters: [{ name: 'x', shape: [2, 3] }], build: (_g, [x]) => op.neg(x) },
  { name: 'Exp', parameters: [{ name: 'x', shape: [2, 3] }], build: (_g, [x]) => op.exp(x) },
  {
    name: 'Log',
    parameters: [{ name: 'x', shape: [2, 3], values: positive(6) }],
    build: (_g, [x]) => op.log(x),
  },
  {
    name: 'Sqrt',
    parameters: [{ name: 'x', shape: [2, 3], values: positive(6) }],
    build: (_g, [x]) => op.sqrt(x),
  },
  {
    name: 'Pow integer',
    parameters: [{ name: 'x', shape: [2, 3] }],
    build: (_g, [x]) => op.pow(x, 3),
  },
  {
    name: 'Pow fractional',
    parameters: [{ name: 'x', shape: [2, 3], values: positive(6) }],
    build: (_g, [x]) => op.pow(x, 1.5),
  },
  { name: 'Relu', parameters: [{ name: 'x', shape: [3, 4] }], build: (_g, [x]) => op.relu(x) },
  {
    name: 'Sigmoid',
    parameters: [{ name: 'x', shape: [3, 4] }],
    build: (_g, [x]) => op.sigmoid(x),
  },
  { name: 'Tanh', parameters: [{ name: 'x', shape: [3, 4] }], build: (_g, [x]) => op.tanh(x) },
  {
    name: 'Where broadcast',
    parameters: [
      { name: 'x', shape: [2, 3] },
      { name: 'y', shape: [3] },
    ],
    build: (g, [x, y]) => {
      const condition = op.constant(g, 'bool', [2, 3], [1, 0, 1, 0, 0, 1]);
      return op.where(condition, x, y);
    },
  },
  {
    name: 'Where by Less',
    parameters: [{ name: 'x', shape: [3, 4] }],
    build: (_g, [x]) => op.where(op.less(x, 0), op.mul(x, x), op.exp(x)),
  },
  {
    name: 'Cast round trip',
    parameters: [{ name: 'x', shape: [2, 3] }],
    build: (_g, [x]) => op.cast(op.cast(x, 'float32'), 'float64'),
    // The loss is linear in x, so a large step has no truncation error and keeps the
    // float32 rounding of the forward pass (about 1e-7) far below the tolerance.
    epsilon: 0.5,
  },
];

describe('gradient rules: elementwise (float64)', () => {
  it.each(cases)('$name', async ({ parameters, build, epsilon }) => {
    const result = await checkGradients({ parameters, build, epsilon });

    expect(result.allGradientsPresent).toBe(true);
    for (const parameter of parameters) {
      expect(result.relativeErrors.get(parameter.name)).toBeLessThan(TOLERANCE);
    }
  });
});

describe('gradient rules: Gelu and Erf (float32)', () => {
  // ONNX Runtime's CPU provider has no float64 Erf, so these rules run in float32. With a
  // step of 1e-2, float32 rounding of the loss contributes about 1e-5 relative error and
  // truncation about 1e-5; 1e-3 leaves room for both.
  const FLOAT32_TOLERANCE = 1e-3;

  it.each([
    { name: 'Gelu', build: (x: Tensor) => op.gelu(x) },
    { name: 'Erf', build: (x: Tensor) => op.erf(x) },
  ])('$name', async ({ build }) => {
    const result = await checkGradients({
      dtype: 'float32',
      epsilon: 1e-2,
      parameters: [{ name: 'x', shape: [4, 5] }],
      build: (_g, [x]) => build(x),
    });

    expect(result.relativeErrors.get('x')).toBeLessThan(FLOAT32_TOLERANCE);
  });
});
