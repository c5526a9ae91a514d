/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { differentiate } from './autodiff';
import { Graph } from './graph';
import * as op from './ops';
import { ParameterTensor, TrainingSession } from './session';
import { checkGradients } from './testing/gradient-check';
import { TestRng } from './testing/test-rng';

function randomParameter(name: string, shape: number[], rng: TestRng): ParameterTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float64Array.from(rng.array(count)) };
}

describe('differentiate', () => {
  it('skips nodes off the loss path', () => {
    const graph = new Graph('pruning');
    const used = graph.parameter('used', 'float64', [3]);
    const unused = graph.parameter('unused', 'float64', [3]);
    const sideBranch = op.exp(unused);
    const loss = op.reduceSum(op.mul(used, used));
    const nodeCount = graph.nodes.length;

    const gradients = differentiate(loss, [used, unused]);
    const added = graph.nodes.slice(nodeCount);

    expect(gradients.has('used')).toBe(true);
    expect(gradients.has('unused')).toBe(false);
    expect(added.some((node) => node.inputs.includes(sideBranch))).toBe(false);
    expect(added.some((node) => node.inputs.includes(unused))).toBe(false);
  });

  it('scatter-adds Gather gradients', () => {
    const graph = new Graph('gather');
    const table = graph.parameter('table', 'float64', [5, 2]);
    const indices = graph.input('indices', 'int64', [4]);
    differentiate(op.reduceSum(op.gather(table, indices)), [table]);

    const scatter = graph.nodes.find((node) => node.opType === 'ScatterND');

    expect(scatter?.attributes.reduction).toEqual({ type: 'string', value: 'add' });
  });

  it('Softmax before MatMul reduces over V', () => {
    const graph = new Graph('attention');
    const scores = graph.parameter('scores', 'float64', [2, 6, 6]);
    const v = graph.parameter('v', 'float64', [2, 6, 3]);
    const loss = op.reduceSum(op.matMul(op.softmax(scores), v));
    const nodeCount = graph.nodes.length;

    differentiate(loss, [scores, v]);
    const reductions = graph.nodes.slice(nodeCount).filter((node) => node.opType === 'ReduceSum');
    const reducedWidths = reductions.map((node) => node.inputs[0]?.shape.at(-1));

    expect(reducedWidths).toContain(3);
    expect(reducedWidths).not.toContain(6);
  });

  it('rejects operators without a rule', () => {
    const graph = new Graph('topk');
    const x = graph.parameter('x', 'float64', [2, 4]);
    const loss = op.reduceSum(op.topK(x, 2).values);

    expect(() => differentiate(loss, [x])).toThrow('operator TopK');
  });

  it('rejects a non-scalar loss', () => {
    const graph = new Graph('vector_loss');
    const x = graph.parameter('x', 'float64', [2]);

    expect(() => differentiate(op.exp(x), [x])).toThrow('must be a float scalar');
  });
});

describe('gradient rules: float32 kernels', () => {
  // Float32 LayerNormalization takes the Mean and InvStdDev outputs of the forward node, a
  // path that float64 graphs do not use. A step of 1e-2 keeps float32 rounding near 1e-5.
  it('LayerNormalization float32', async () => {
    const result = await checkGradients({
      dtype: 'float32',
      epsilon: 1e-2,
      parameters: [
        { name: 'x', shape: [3, 8] },
        { name: 'scale', shape: [8] },
        { name: 'bias', shape: [8] },
      ],
      build: (_g, [x, scale, bias]) => op.layerNormalization(x, scale, bias),
    });

    expect(result.relativeErrors.get('x')).toBeLessThan(1e-3);
    expect(result.relativeErrors.get('scale')).toBeLessThan(1e-3);
    expect(result.relativeErrors.get('bias')).toBeLessThan(1e-3);
  });
});

describe('gradient rules: seeded Dropout', () => {
  // The mask changes at every run, so finite differences do not apply. The loss
  // sum(dropout(x) * x) with a fixed mask m is sum(m * s * x^2), so its gradient is 2 * m * s * x
  // and loss = sum(x * gradient) / 2 holds for the mask drawn in the same run.
  it('Dropout gradient matches its mask', async () => {
    const graph = new Graph('dropout');
    const x = graph.parameter('x', 'float64', [200]);
    const loss = op.reduceSum(op.mul(op.dropout(x, { ratio: 0.5, seed: 3 }), x));
    const session = await TrainingSession.create(loss, differentiate(loss, [x]));
    const parameter = randomParameter('x', [200], new TestRng(1));

    const result = await session.step({}, [parameter]);
    await session.release();
    const gradient = result.gradients.get('x');
    const values = gradient?.kind === 'dense' ? gradient.values : new Float64Array();
    const implied = Array.from(values).reduce((sum, g, i) => sum + (g * parameter.data[i]) / 2, 0);
    const dropped = values.filter((g) => g === 0).length;

    expect(implied).toBeCloseTo(result.loss, 10);
    expect(dropped).toBeGreaterThan(60);
    expect(dropped).toBeLessThan(140);
  });
});

describe('row-sparse gradient', () => {
  async function gradientsFor(rowSparse: boolean, alsoDense: boolean) {
    const graph = new Graph('sparse');
    const table = graph.parameter('table', 'float64', [6, 3]);
    const indices = graph.input('indices', 'int64', [2, 3]);
    const rows = graph.input('rows', 'int64', ['rows']);
    const weights = op.constant(graph, 'float64', [2, 3, 3], new TestRng(5).array(18));
    let loss = op.reduceSum(op.mul(op.gather(table, indices), weights));
    if (alsoDense) {
      loss = op.add(loss, op.reduceSum(op.mul(table, table)));
    }
    const options = rowSparse ? { rowSparse: new Map([['table', rows]]) } : {};
    const session = await TrainingSession.create(loss, differentiate(loss, [table], options));
    const feeds = {
      indices: BigInt64Array.from([1n, 4n, 1n, 0n, 1n, 5n]),
      rows: BigInt64Array.from([4n, 1n, 0n]),
    };
    const result = await session.step(feeds, [randomParameter('table', [6, 3], new TestRng(2))]);
    await session.release();
    return result.gradients.get('table');
  }

  it.each([
    ['Gather only', false],
    ['Gather and dense use', true],
  ])('%s', async (_name, alsoDense) => {
    const dense = await gradientsFor(false, alsoDense);
    const sparse = await gradientsFor(true, alsoDense);
    const denseValues = dense?.values ?? new Float64Array();
    const expected = [4, 1, 0].flatMap((row) =>
      Array.from(denseValues.subarray(row * 3, row * 3 + 3)),
    );

    expect(sparse?.kind).toBe('rows');
    expect(Array.from(sparse?.kind === 'rows' ? sparse.rows : [])).toEqual([4, 1, 0]);
    const actual = Array.from(sparse?.values ?? []);
    const largestDifference = Math.max(...expected.map((value, i) => Math.abs(value - actual[i])));

    expect(actual).toHaveLength(expected.length);
    expect(largestDifference).toBeLessThan(1e-12);
  });
});
