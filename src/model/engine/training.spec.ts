/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { differentiate } from './autodiff';
import { AdamW } from './optim/adamw';
import { Graph } from './graph';
import * as op from './ops';
import { TrainingSession } from './session';
import { ParameterSet, crossEntropy, transformerBlock } from './testing/models';
import { TestRng } from './testing/test-rng';

/** Inputs in [-1, 1] labelled by the argmax of a fixed random projection. */
function classificationData(rng: TestRng, examples: number, features: number, classes: number) {
  const projection = rng.array(features * classes);
  const x = Float32Array.from(rng.array(examples * features, () => 2 * rng.next() - 1));
  const targets = new Float32Array(examples * classes);
  for (let e = 0; e < examples; e++) {
    const scores = [...Array(classes).keys()].map((c) =>
      [...Array(features).keys()].reduce(
        (sum, f) => sum + x[e * features + f] * projection[f * classes + c],
        0,
      ),
    );
    targets[e * classes + scores.indexOf(Math.max(...scores))] = 1;
  }
  return { x, targets };
}

/** Trains a two-layer MLP with Dropout and returns the loss of every step. */
async function trainMlp(seed: number, steps: number, dropout: boolean): Promise<number[]> {
  const rng = new TestRng(seed);
  const graph = new Graph('mlp');
  const parameters = new ParameterSet(graph, 'float32', () => rng.normal());
  const x = graph.input('x', 'float32', [64, 4]);
  const targets = graph.input('targets', 'float32', [64, 3]);
  let hidden = op.relu(
    op.add(op.matMul(x, parameters.weight('w1', [4, 32])), parameters.filled('b1', [32], 0)),
  );
  if (dropout) {
    hidden = op.dropout(hidden, { ratio: 0.1, seed });
  }
  const logits = op.add(
    op.matMul(hidden, parameters.weight('w2', [32, 3])),
    parameters.filled('b2', [3], 0),
  );
  const loss = crossEntropy(logits, targets);

  const session = await TrainingSession.create(loss, differentiate(loss, parameters.tensors), {
    intraOpNumThreads: 1,
  });
  const optimizer = new AdamW(parameters.values, { learningRate: 0.03, weightDecay: 0 });
  const data = classificationData(rng, 64, 4, 3);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const result = await session.step({ x: data.x, targets: data.targets }, parameters.values);
    optimizer.step(result.gradients);
    losses.push(result.loss);
  }
  await session.release();
  return losses;
}

/** Embedding rows that no token uses; a row-sparse gradient must leave them untouched. */
const UNUSED_ROWS = 3;

/**
 * Trains a one-block transformer on a lookup task: position t must output the token at
 * position floor(t / 2). Most targets sit at an earlier position, so the task needs attention,
 * and the causal mask lets position t attend to positions 0..t, which include floor(t / 2).
 */
async function trainTransformer(
  steps: number,
): Promise<{ losses: number[]; unusedRows: number[] }> {
  const rng = new TestRng(11);
  const shape = { batch: 16, sequence: 6, width: 32, heads: 2, ffnWidth: 64 };
  const vocabulary = 5;
  const tableRows = vocabulary + UNUSED_ROWS;
  const graph = new Graph('transformer');
  const parameters = new ParameterSet(graph, 'float32', () => rng.normal());
  const tokens = graph.input('tokens', 'int64', [shape.batch, shape.sequence]);
  const rows = graph.input('rows', 'int64', ['rows']);
  const targets = graph.input('targets', 'float32', [shape.batch, shape.sequence, vocabulary]);
  const embedding = parameters.weight('embedding', [tableRows, shape.width]);
  const position = parameters.weight('position', [shape.sequence, shape.width]);
  const x = op.add(op.gather(embedding, tokens), position);
  const y = transformerBlock(x, shape, parameters);
  const logits = op.matMul(y, parameters.weight('unembedding', [shape.width, vocabulary]));
  const loss = crossEntropy(logits, targets);

  // The embedding gradient comes back row-sparse, for the rows that occur in the batch.
  const gradients = differentiate(loss, parameters.tensors, {
    rowSparse: new Map([['embedding', rows]]),
  });
  const session = await TrainingSession.create(loss, gradients, { intraOpNumThreads: 1 });
  // Weight decay would move every row of a dense gradient; listed rows move only themselves.
  const optimizer = new AdamW(parameters.values, {
    learningRate: 0.01,
    weightDecay: 0.01,
    noDecay: (name) => name !== 'embedding',
  });
  const data = lookupData(rng, shape.batch, shape.sequence, vocabulary);
  const feeds = { ...data, rows: BigInt64Array.from(new Set(data.tokens)) };
  const table = parameters.values.find((entry) => entry.name === 'embedding')!.data;
  const unusedBefore = Array.from(table.subarray(vocabulary * shape.width));
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const result = await session.step(feeds, parameters.values);
    optimizer.step(result.gradients);
    losses.push(result.loss);
  }
  await session.release();
  const unusedAfter = Array.from(table.subarray(vocabulary * shape.width));
  const unusedRows = unusedAfter.map((value, index) => value - unusedBefore[index]);
  return { losses, unusedRows };
}

/** Draws random token sequences; the target at position t is one-hot of token floor(t / 2). */
function lookupData(rng: TestRng, batch: number, sequence: number, vocabulary: number) {
  const tokens = new BigInt64Array(batch * sequence);
  const targets = new Float32Array(batch * sequence * vocabulary);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < sequence; t++) {
      tokens[b * sequence + t] = BigInt(Math.floor(rng.next() * vocabulary));
    }
    for (let t = 0; t < sequence; t++) {
      const source = Number(tokens[b * sequence + Math.floor(t / 2)]);
      targets[(b * sequence + t) * vocabulary + source] = 1;
    }
  }
  return { tokens, targets };
}

describe('training sanity', () => {
  it('MLP learns classification', async () => {
    const losses = await trainMlp(1, 300, false);

    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses[losses.length - 1]).toBeLessThan(0.02);
  });

  it('transformer learns a lookup', async () => {
    const { losses, unusedRows } = await trainTransformer(300);

    expect(losses[0]).toBeGreaterThan(1);
    expect(losses[losses.length - 1]).toBeLessThan(0.02);
    expect(unusedRows).toEqual(new Array<number>(UNUSED_ROWS * 32).fill(0));
  });
});

describe('determinism', () => {
  it('same seed gives same losses', async () => {
    const first = await trainMlp(5, 20, true);
    const second = await trainMlp(5, 20, true);

    expect(second).toEqual(first);
  });

  it('other seed gives other losses', async () => {
    const first = await trainMlp(5, 20, true);
    const other = await trainMlp(6, 20, true);

    expect(other).not.toEqual(first);
  });
});
