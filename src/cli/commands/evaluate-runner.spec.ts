import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvaluateCommandOptions, runEvaluate } from './evaluate-runner';

const DEFAULTS: Omit<EvaluateCommandOptions, 'data'> = {
  k: 10,
  sampledNegatives: 0,
  seed: 42,
  baselines: ['popular', 'cooccurrence'],
};

describe('runEvaluate', () => {
  let folder: string;
  let printed: string[];

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-evaluate-'));
    printed = [];
    jest.spyOn(console, 'log').mockImplementation((text: string) => printed.push(text));
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(folder, { recursive: true, force: true });
  });

  it('prints JSON metrics per baseline', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3 4\n1 2 3 4\n2 3 4 1\n3 4 1 2\n');

    await runEvaluate({ ...DEFAULTS, data: folder, k: 2, json: true });

    const output = JSON.parse(printed.join('\n'));
    expect(output.split).toBe('test');
    expect(output.evaluatedUsers).toBe(4);
    expect(output.itemCount).toBe(4);
    expect(output.recommenders.map((entry: { recommender: string }) => entry.recommender)).toEqual([
      'popular',
      'cooccurrence',
    ]);
    expect(output.recommenders[0].k).toBe(2);
  });

  it('prints tables with sampled metrics', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n4 5 6\n2 3 7\n');

    await runEvaluate({ ...DEFAULTS, data: folder, sampledNegatives: 1 });

    const output = printed.join('\n');
    expect(output).toContain('Full ranking over all 7 items, history removed, top 10');
    expect(output).toContain('Sampled ranking: target among 1 random negatives (seed 42)');
  });

  it('names a missing folder', async () => {
    const missing = join(folder, 'absent');

    await expect(runEvaluate({ ...DEFAULTS, data: missing })).rejects.toThrow(
      `data folder not found: "${missing}"`,
    );
  });

  it('rejects the test split with validation files', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n');
    await writeFile(join(folder, 'val_input.txt'), '1 2\n');
    await writeFile(join(folder, 'val_target.txt'), '3\n');

    await expect(runEvaluate({ ...DEFAULTS, data: folder, split: 'test' })).rejects.toThrow(
      'split "test" is not available',
    );
  });
});

// Commander 15 is an ES module that Jest cannot load under Node 20, so the option parsing is
// checked through the real executable in a child process.
describe('qrec evaluate options', () => {
  const runCli = (args: string[]): { status: number | null; stderr: string } => {
    const result = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'evaluate', ...args],
      { cwd: join(__dirname, '../../..'), encoding: 'utf8' },
    );
    return { status: result.status, stderr: result.stderr };
  };

  it('names an unknown format', () => {
    const { status, stderr } = runCli(['--data', '.', '--format', 'ml-20m']);

    expect(status).not.toBe(0);
    expect(stderr).toContain("argument 'ml-20m' is invalid");
  });

  it('names an unknown baseline', () => {
    const { status, stderr } = runCli(['--data', '.', '--baselines', 'popular,bpr']);

    expect(status).not.toBe(0);
    expect(stderr).toContain('unknown baseline "bpr"');
  });
});
