/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../../model/data/item-vocabulary';
import { resolveConfig } from '../../model/qformer/config';
import { loadModel, saveModel } from '../../model/qformer/model-store';
import { initializeParameters } from '../../model/qformer/parameters';
import { parameterSpecsOf } from '../../model/qformer/trainer';

// Commander 15 is an ES module that Jest cannot load under Node 20, so the command runs as
// the real executable in a child process.
function runCli(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'ensemble', ...args],
    { cwd: join(__dirname, '../../..'), encoding: 'utf8' },
  );
  return { status: result.status, stderr: result.stderr };
}

describe('qrec ensemble', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-ensemble-cli-'));
    const config = resolveConfig({ dim: 8, maxLength: 5, encoderBlocks: 1, queryCount: 1 });
    const vocabulary = ItemVocabulary.fromItemIds(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const seed of [1, 2]) {
      await saveModel(join(folder, `member-${seed}`), {
        config,
        vocabulary,
        parameters: initializeParameters(parameterSpecsOf(config, vocabulary.size), seed),
        topK: 3,
        metrics: {},
      });
    }
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('writes a loadable ensemble', async () => {
    const out = join(folder, 'pair');
    const members = [join(folder, 'member-1'), join(folder, 'member-2')];

    const { status, stderr } = runCli([...members, '--out', out, '--top-k', '4']);

    expect(stderr).toContain(`qrec ensemble: saved ${out}: 2 members, 6 items, top-K 4`);
    expect(status).toBe(0);
    const loaded = await loadModel(out);
    await loaded.session.release();
    expect(loaded.config.ensembleMembers).toBe(2);
  });

  it('rejects a single model', () => {
    const { status, stderr } = runCli([join(folder, 'member-1'), '--out', join(folder, 'one')]);

    expect(status).toBe(1);
    expect(stderr).toContain('qrec: an ensemble needs 2 to 16 models, got 1');
  });

  it.each([
    [['a', 'b', '--out', 'c', '--from-db'], 'pass exactly one of --out <dir> and --from-db'],
    [['a', 'b'], 'pass exactly one of --out <dir> and --from-db'],
    [['a', 'b', '--out', 'c', '--activate'], '--activate can be used only with --from-db'],
  ])('rejects the flags %j', (args, message) => {
    const { status, stderr } = runCli(args);

    expect(status).toBe(1);
    expect(stderr).toBe(`qrec: ${message}\n`);
  });

  it('names an invalid --top-k', () => {
    const { status, stderr } = runCli(['a', 'b', '--out', 'c', '--top-k', 'ten']);

    expect(status).not.toBe(0);
    expect(stderr).toContain(
      `option '--top-k <n>' argument 'ten' is invalid. expected an integer of at least 1, got "ten".`,
    );
  });
});
