/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { MostPopularRecommender } from '../baselines/most-popular';
import { SequenceDatasetBuilder } from '../data/sequence-dataset';
import { SequenceSource } from '../data/sequence-source';
import { evaluateRanking } from '../eval/ranking-evaluation';
import { OptimizerError } from '../engine/optim/errors';
import { FloatArray } from '../engine/optim/gradients';
import { QFormerConfigError, resolveConfig } from './config';
import { syntheticSequences } from './testing/synthetic-sequences';
import {
  DEFAULT_TRAINER_OPTIONS,
  EpochSummary,
  learningRateScheduleOf,
  remainingEpochs,
  resolveTrainerOptions,
  splitIntoWindows,
  trainingDataFromSource,
  TrainingPlan,
  TrainingResult,
  trainingSequences,
  trainQFormer,
  WeightAverage,
} from './trainer';

const data = syntheticSequences({
  users: 400,
  clusters: 6,
  itemsPerCluster: 30,
  length: 20,
  seed: 7,
});

const config = resolveConfig({
  dim: 32,
  maxLength: 20,
  encoderBlocks: 1,
  queryCount: 2,
  heads: 2,
  feedForwardDim: 32,
  dropout: 0.1,
});

async function popularityHitRate(): Promise<number> {
  const validation = data.validation!;
  const itemPopularity = data.train.itemCounts(data.itemCount);
  const popular = MostPopularRecommender.fit(data.train, data.itemCount);
  const report = await evaluateRanking(popular.score, validation, data.itemCount, {
    itemPopularity,
  });
  return report.full.hitRate;
}

describe('trainQFormer', () => {
  it('beats popularity on planted sequences', async () => {
    const summaries: EpochSummary[] = [];
    const result = await trainQFormer(config, data, {
      epochs: 4,
      batchSize: 16,
      learningRate: 1e-2,
      warmupSteps: 10,
      patience: 3,
      seed: 1,
      onEpoch: (summary) => summaries.push(summary),
    });
    const popular = await popularityHitRate();
    const best = summaries.find((summary) => summary.epoch === result.bestEpoch)!;

    expect(summaries.length).toBe(result.epochs.length);
    expect(best.validationHitRate10).toBeGreaterThanOrEqual(2 * popular);
    expect(summaries[summaries.length - 1].loss).toBeLessThan(summaries[0].loss);
  });

  it('keeps averaged weights with emaDecay', async () => {
    // 50 steps: a decay of 0.5 applies from step 8, and 0.99999 stays capped at (1 + n) / (10 + n).
    const options = { epochs: 1, batchSize: 8, learningRate: 1e-2, warmupSteps: 0, seed: 3 };
    const plain = await trainQFormer(config, data, options);
    const averaged = await trainQFormer(config, data, { ...options, emaDecay: 0.5 });
    const initial = await trainQFormer(config, data, { ...options, emaDecay: 0.99999 });
    const embeddings = (result: TrainingResult): FloatArray =>
      result.parameters.find((parameter) => parameter.name === 'item_embeddings')!.data;
    const distance = (a: FloatArray, b: FloatArray): number =>
      Math.hypot(...a.map((value, i) => value - b[i]));

    // The same seed takes the same steps; the average trails the last weights.
    expect(distance(embeddings(averaged), embeddings(plain))).toBeGreaterThan(1e-5);
    // A longer average trails further behind the last weights.
    expect(distance(embeddings(initial), embeddings(plain))).toBeGreaterThan(
      distance(embeddings(averaged), embeddings(plain)),
    );
  });

  it('beats popularity with item dropout', async () => {
    const withGaps = resolveConfig({ ...config, itemDropout: 0.3 });
    const result = await trainQFormer(withGaps, data, {
      epochs: 4,
      batchSize: 16,
      learningRate: 1e-2,
      warmupSteps: 10,
      seed: 1,
    });
    const best = result.epochs.find((epoch) => epoch.epoch === result.bestEpoch)!;

    expect(best.validationHitRate10).toBeGreaterThanOrEqual(2 * (await popularityHitRate()));
  });

  it('stops when the time limit passes', async () => {
    const result = await trainQFormer(config, data, {
      epochs: 50,
      batchSize: 64,
      maxSeconds: 0.001,
      seed: 2,
    });

    expect(result.stopReason).toBe('time');
    expect(result.epochs).toHaveLength(1);
  });

  it('reports epoch size before training', async () => {
    const short = resolveConfig({ ...config, maxLength: 8 });
    const lengths = Array.from(
      { length: data.train.userCount },
      (_value, user) => data.train.sequence(user).length,
    ).filter((length) => length >= 2);
    const plans: TrainingPlan[] = [];
    for (const historyWindows of ['last', 'all'] as const) {
      await trainQFormer(short, data, {
        batchSize: 64,
        maxSeconds: 0.001,
        lengthBuckets: false,
        historyWindows,
        onStart: (plan) => plans.push(plan),
      });
    }
    const windows = trainingSequences(data.train, 8, 'all').length;

    expect(plans).toEqual([
      {
        windows: lengths.length,
        targets: lengths.reduce((sum, length) => sum + Math.min(length - 1, 8), 0),
        stepsPerEpoch: Math.ceil(lengths.length / 64),
      },
      {
        windows,
        targets: lengths.reduce((sum, length) => sum + length - 1, 0),
        stepsPerEpoch: Math.ceil(windows / 64),
      },
    ]);
    expect(windows).toBeGreaterThan(lengths.length);
  });
});

describe('WeightAverage', () => {
  const weights = () => [{ name: 'w', shape: [2], data: Float32Array.of(0, 10) }];

  it('follows the first steps closely, then decays at its rate', () => {
    const current = weights();
    const average = new WeightAverage(current, 0.5);
    current[0].data.set([2, 20]);
    // Step 1 decays by min(0.5, 2 / 11).
    average.update(current);
    const first = 2 / 11;
    expect(Array.from(average.parameters[0].data)).toEqual([
      Math.fround(first * 0 + (1 - first) * 2),
      Math.fround(first * 10 + (1 - first) * 20),
    ]);
    const before = average.parameters[0].data.slice();
    current[0].data.set([4, 40]);
    // Step 2 decays by min(0.5, 3 / 12) = 0.25, and step 10 by 0.5.
    average.update(current);
    expect(average.parameters[0].data[0]).toBeCloseTo(0.25 * before[0] + 0.75 * 4, 5);
    for (let step = 3; step <= 10; step += 1) {
      average.update(current);
    }
    expect(average.parameters[0].data[1]).toBeCloseTo(40, 0);
    expect(average.parameters[0].data[1]).toBeLessThan(40);
  });

  it('copies the weights it starts from', () => {
    const current = weights();
    const average = new WeightAverage(current, 0.9);
    current[0].data[0] = 5;

    expect(average.parameters[0].data[0]).toBe(0);
  });
});

describe('remainingEpochs', () => {
  it('counts planned epochs without budget', () => {
    expect(remainingEpochs(3, 10, 300)).toBe(7);
  });

  it('counts epochs left in budget', () => {
    // About 98 s per epoch: the epoch that starts at 295 s ends past the 300 s budget.
    expect(remainingEpochs(3, 200, 295, 300)).toBe(1);
    // 50 s per epoch: epochs end at 200, 250 and 300 s, and the last one reaches the budget.
    expect(remainingEpochs(3, 200, 150, 300)).toBe(3);
  });

  it('counts none after the end', () => {
    expect(remainingEpochs(3, 200, 300, 300)).toBe(0);
    expect(remainingEpochs(10, 10, 50, 300)).toBe(0);
  });
});

describe('resolveTrainerOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveTrainerOptions({ epochs: 3 })).toEqual({ ...DEFAULT_TRAINER_OPTIONS, epochs: 3 });
  });

  it.each([
    [{ learningRate: 0 }, 'learningRate'],
    [{ minLearningRate: 0.1 }, 'minLearningRate'],
    [{ maxGradNorm: 0 }, 'maxGradNorm'],
    [{ weightDecay: -1 }, 'weightDecay'],
    [{ warmupSteps: 1.5 }, 'warmupSteps'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ patience: 0 }, 'patience'],
    [{ emaDecay: 1 }, 'emaDecay'],
    [{ emaDecay: -0.1 }, 'emaDecay'],
  ])('names the option it rejects: %j', (overrides, option) => {
    const resolve = (): unknown => resolveTrainerOptions(overrides);

    expect(resolve).toThrow(OptimizerError);
    expect(resolve).toThrow(new RegExp(`^invalid ${option}: `));
    expect(() => resolveTrainerOptions(overrides)).toThrow(
      expect.objectContaining({ option }) as Error,
    );
  });
});

describe('resolveConfig', () => {
  it.each([
    [{ heads: 3 }, 'heads'],
    [{ dropout: 1 }, 'dropout'],
    [{ itemDropout: -0.1 }, 'itemDropout'],
    [{ itemDropout: 1 }, 'itemDropout'],
    [{ qformerDropout: 1 }, 'qformerDropout'],
    [{ queryCount: 0 }, 'queryCount'],
    [{ ensembleMembers: 0 }, 'ensembleMembers'],
    [{ ensembleMembers: 1.5 }, 'ensembleMembers'],
  ])('names the field it rejects: %j', (overrides, field) => {
    expect(() => resolveConfig(overrides)).toThrow(QFormerConfigError);
    expect(() => resolveConfig(overrides)).toThrow(expect.objectContaining({ field }) as Error);
  });
});

describe('learningRateScheduleOf', () => {
  const options = { ...DEFAULT_TRAINER_OPTIONS, learningRate: 2e-3, warmupSteps: 10, epochs: 5 };

  it('keeps the peak rate after the warm-up when constant', () => {
    const schedule = learningRateScheduleOf({ ...options, learningRateSchedule: 'constant' }, 20);

    expect(schedule.learningRateAt(5)).toBeCloseTo(1e-3, 12);
    expect(schedule.learningRateAt(100)).toBe(2e-3);
  });

  it('cosine ends at the minimum', () => {
    const schedule = learningRateScheduleOf(
      { ...options, learningRateSchedule: 'cosine', minLearningRate: 1e-5 },
      20,
    );

    expect(schedule.learningRateAt(10)).toBeCloseTo(2e-3, 12);
    expect(schedule.learningRateAt(55)).toBeCloseTo((2e-3 + 1e-5) / 2, 12);
    expect(schedule.learningRateAt(100)).toBeCloseTo(1e-5, 12);
    expect(schedule.learningRateAt(150)).toBeCloseTo(1e-5, 12);
  });

  it('decays over the time budget when it ends before the planned epochs', () => {
    let now = 100;
    const schedule = learningRateScheduleOf(
      { ...options, learningRateSchedule: 'cosine', maxSeconds: 60 },
      20,
      () => now,
    );

    expect(schedule.learningRateAt(1)).toBeCloseTo(2e-4, 12);
    now = 130;
    expect(schedule.learningRateAt(20)).toBeCloseTo(1e-3, 12);
    now = 200;
    expect(schedule.learningRateAt(21)).toBe(0);
  });
});

describe('trainingDataFromSource', () => {
  it('splits a source leave-one-out', async () => {
    const users = [
      { userId: 'a', itemIds: ['x', 'y', 'z', 'y'] },
      { userId: 'b', itemIds: ['z', 'x', 'w'] },
    ];
    const source: SequenceSource = {
      async *sequences() {
        for (const user of users) {
          yield await Promise.resolve(user);
        }
      },
    };

    const prepared = await trainingDataFromSource(source);

    expect(prepared.vocabulary.size).toBe(4);
    expect(prepared.train.sequence(0)).toHaveLength(2);
    expect(prepared.validation!.targets[0]).toBe(prepared.vocabulary.indexOf('z'));
    expect(prepared.validation!.targets[1]).toBe(prepared.vocabulary.indexOf('x'));
  });
});

describe('splitIntoWindows', () => {
  const items = Int32Array.from({ length: 10 }, (_value, index) => index + 1);

  it('covers each target exactly once', () => {
    const windows = splitIntoWindows(items, 4).map((window) => [...window]);

    expect(windows).toEqual([
      [6, 7, 8, 9, 10],
      [2, 3, 4, 5, 6],
      [1, 2],
    ]);
  });

  it('keeps a short sequence whole', () => {
    expect(splitIntoWindows(items, 9).map((window) => [...window])).toEqual([[...items]]);
  });
});

describe('trainingSequences', () => {
  const builder = new SequenceDatasetBuilder();
  builder.add(
    'long',
    Int32Array.from({ length: 10 }, (_value, index) => index + 1),
  );
  builder.add('single', [3]);
  builder.add('short', [4, 5, 6]);
  const train = builder.build();

  it('keeps one sequence per user with last', () => {
    const sequences = trainingSequences(train, 4, 'last');

    expect(sequences.map((sequence) => sequence.items.length)).toEqual([10, 3]);
  });

  it('adds older windows with all', () => {
    const sequences = trainingSequences(train, 4, 'all');
    const targets = sequences.reduce((sum, sequence) => sum + sequence.items.length - 1, 0);

    expect(sequences.map((sequence) => sequence.items.length)).toEqual([5, 5, 2, 3]);
    expect(targets).toBe(9 + 2);
  });
});
