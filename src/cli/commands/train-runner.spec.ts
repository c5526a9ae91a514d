/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticSequences } from '../../model/qformer/testing/synthetic-sequences';
import { EvaluateCommandOptions, runEvaluate } from './evaluate-runner';
import { loadDataFolder } from '../../model/data/data-folder';
import { formatDuration, runTrain, selectionPlan, TrainCommandOptions } from './train-runner';

/** Writes generated sequences as a sequential-format train.txt (line N = user N). */
async function writeDataFolder(folder: string): Promise<void> {
  const data = syntheticSequences({
    users: 120,
    clusters: 4,
    itemsPerCluster: 10,
    length: 12,
    seed: 3,
  });
  const lines: string[] = [];
  for (let user = 0; user < data.sequences.userCount; user += 1) {
    lines.push(Array.from(data.sequences.sequence(user)).join(' '));
  }
  await writeFile(join(folder, 'train.txt'), `${lines.join('\n')}\n`);
}

/**
 * Adds the layout of the standard sequential split: the first `count` users are validation
 * users whose val_input line is their train.txt line plus one item, and val_target the next.
 */
async function writeValidationFiles(folder: string, count: number): Promise<void> {
  const lines = (await readFile(join(folder, 'train.txt'), 'utf8')).trim().split('\n');
  const inputs: string[] = [];
  const targets: string[] = [];
  for (const line of lines.slice(0, count)) {
    const items = line.split(' ');
    inputs.push([...items, items[0]].join(' '));
    targets.push(items[1]);
  }
  await writeFile(join(folder, 'val_input.txt'), `${inputs.join('\n')}\n`);
  await writeFile(join(folder, 'val_target.txt'), `${targets.join('\n')}\n`);
}

function trainOptions(folder: string): TrainCommandOptions {
  return {
    data: folder,
    out: join(folder, 'model'),
    topK: 5,
    threads: 1,
    progress: false,
    model: { dim: 16, maxLength: 12, encoderBlocks: 1, queryCount: 2, feedForwardDim: 16 },
    trainer: { epochs: 2, batchSize: 32, learningRate: 5e-3, warmupSteps: 2, seed: 1 },
  };
}

/** `qrec evaluate` options for the popularity baseline on `folder`. */
function evaluateOptions(
  folder: string,
  overrides: Partial<EvaluateCommandOptions>,
): EvaluateCommandOptions {
  return {
    data: folder,
    k: 10,
    sampledNegatives: 0,
    seed: 42,
    baselines: ['popular'],
    ...overrides,
  };
}

describe('runTrain', () => {
  let folder: string;
  let printed: string[];
  let logged: string[];

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-train-'));
    printed = [];
    logged = [];
    jest.spyOn(console, 'log').mockImplementation((text: string) => printed.push(text));
    jest.spyOn(console, 'error').mockImplementation((text: string) => logged.push(text));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(folder, { recursive: true, force: true });
  });

  it('logs one line per epoch', async () => {
    await writeDataFolder(folder);

    const result = await runTrain(trainOptions(folder));

    const epochLines = logged.filter((line) => line.startsWith('qrec train: epoch '));
    expect(result.epochs).toHaveLength(2);
    expect(epochLines).toHaveLength(2);
    expect(epochLines[0]).toMatch(/loss \d+\.\d{4} \| val NDCG@10 \d\.\d{4} HR@10 \d\.\d{4}/);
    expect(epochLines[0]).toMatch(/seq\/s \| elapsed \d+m\d\ds \| ETA \d+m\d\ds/);
    expect(logged.filter((line) => line.startsWith('qrec train: each epoch: '))).toEqual([
      expect.stringMatching(
        /^qrec train: each epoch: \d+ training windows \(history windows: last\), \d+ targets, \d+ steps of up to \d+ windows$/,
      ),
    ]);
  });

  it('saves a model that evaluate reads', async () => {
    await writeDataFolder(folder);
    await runTrain(trainOptions(folder));

    await runEvaluate(evaluateOptions(folder, { model: join(folder, 'model'), json: true }));

    const output = JSON.parse(printed.join('\n'));
    const names = output.recommenders.map((entry: { recommender: string }) => entry.recommender);
    expect(names).toEqual(['popular', 'qformer (m=2)']);
    const metrics = JSON.parse(await readFile(join(folder, 'model', 'metrics.json'), 'utf8'));
    expect(metrics.bestEpoch).toBeGreaterThanOrEqual(1);
  });

  it('selects on held-out training items of users outside the validation files', async () => {
    await writeDataFolder(folder);
    await writeValidationFiles(folder, 20);
    const data = await loadDataFolder(folder, 'sequential');

    const plan = selectionPlan(data, 30, 5);

    const holdout = plan.data.validation!;
    const validationUserIds = new Set(Array.from({ length: 20 }, (_, user) => `${user + 1}`));
    expect(plan.label).toBe('holdout');
    expect(plan.report).toBe(data.validation);
    expect(holdout.targets).toHaveLength(30);
    for (let user = 0; user < holdout.targets.length; user += 1) {
      expect(validationUserIds.has(holdout.histories.userId(user))).toBe(false);
    }
    for (let user = 0; user < 20; user += 1) {
      expect(plan.data.train.sequence(user)).toEqual(data.train.sequence(user));
    }
    expect(plan.data.train.interactionCount).toBe(data.train.interactionCount - 30);
  });

  it('reports the validation files once, after selecting on the holdout', async () => {
    await writeDataFolder(folder);
    await writeValidationFiles(folder, 20);

    const result = await runTrain({ ...trainOptions(folder), holdoutUsers: 25 });

    const epochLines = logged.filter((line) => line.startsWith('qrec train: epoch '));
    expect(epochLines[0]).toMatch(/\| holdout NDCG@10 \d\.\d{4} HR@10/);
    expect(result.validation?.ndcg).toBeGreaterThanOrEqual(0);
    const metrics = JSON.parse(await readFile(join(folder, 'model', 'metrics.json'), 'utf8'));
    expect(metrics.selection).toEqual({ kind: 'holdout', users: 25, seed: 1 });
    expect(metrics.validation.ndcg).toBe(result.validation?.ndcg);
    expect(logged.some((line) => line.includes('validation users (20, read once'))).toBe(true);
  });

  it('evaluates the holdout of --holdout-seed', async () => {
    await writeDataFolder(folder);
    await writeValidationFiles(folder, 20);
    await runTrain({ ...trainOptions(folder), holdoutUsers: 25, holdoutSeed: 5 });
    const metrics = JSON.parse(await readFile(join(folder, 'model', 'metrics.json'), 'utf8'));
    printed = [];

    await runEvaluate(
      evaluateOptions(folder, {
        split: 'holdout',
        holdoutSeed: 5,
        holdoutUsers: 25,
        model: join(folder, 'model'),
        json: true,
      }),
    );

    const output = JSON.parse(printed.join('\n'));
    expect(metrics.selection).toEqual({ kind: 'holdout', users: 25, seed: 5 });
    expect(output.split).toBe('holdout');
    expect(output.evaluatedUsers).toBe(25);
    expect(output.trainingInteractions).toBe(metrics.data.trainingInteractions - 25);
    expect(output.recommenders[1].full.ndcg).toBeCloseTo(metrics.best.validationNdcg10, 5);
  });

  it('rejects holdout for leave-one-out folders', async () => {
    await writeDataFolder(folder);

    await expect(runEvaluate(evaluateOptions(folder, { split: 'holdout' }))).rejects.toThrow(
      'split "holdout" is not available: this folder has a leave-one-out split',
    );
  });

  it('formats durations', () => {
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3725)).toBe('1h02m05s');
  });
});
