import * as path from 'node:path';
import { migrations } from '../../migrations';
import { createTestDatabase } from '../setup/test-database';
import {
  countRows,
  createFixtureFolder,
  removeFixtureFolders,
  writeFixture,
} from './import-helpers';
import { execFileAsync, ROOT, runCli } from '../support/cli';

/** Names of every migration, in the order they run. */
const MIGRATION_NAMES = migrations.map((migration) => migration.name);

describe('qrec import CLI', () => {
  let database: { url: string; drop: () => Promise<void> };
  let folder: string;

  beforeAll(async () => {
    // The test runs the compiled CLI; tsc is incremental, so a rebuild is quick.
    await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    database = await createTestDatabase();
    folder = createFixtureFolder();
  }, 180_000);

  afterAll(async () => {
    await database.drop();
    await removeFixtureFolders();
  });

  it('imports a sequential file and prints a summary', async () => {
    const file = await writeFixture(folder, 'train.txt', '1 2 3\n2 3\n');

    const result = await runCli(database.url, ['import', file, '--format', 'sequential']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Imported train\.txt: 5 rows read, 5 inserted, 0 skipped as duplicates, 0 rejected; 2 users and 3 items created; [\d.]+ s, \d+ rows\/s\n$/,
    );
    expect(result.stderr).not.toContain('importing [');
    expect(await countRows(database.url)).toEqual({ users: 2, items: 3, interactions: 5 });
  });

  it('prints a JSON summary of a re-run', async () => {
    const file = await writeFixture(folder, 'train.txt', '1 2 3\n2 3\n');

    const result = await runCli(database.url, ['import', file, '--format', 'sequential', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      format: 'sequential',
      stopped: false,
      rowsRead: 5,
      inserted: 0,
      duplicates: 5,
      rejected: 0,
    });
  });

  it('reports rejected lines on stderr', async () => {
    const file = await writeFixture(folder, 'bad.txt', '1 2\nabc\n');

    const result = await runCli(database.url, ['import', file, '--format', 'sequential']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'qrec: skipped bad.txt line 2: position 0: item id "abc" is not a non-negative integer',
    );
    expect(result.stdout).toContain('1 rejected');
    expect(result.stdout).toContain('First rejected lines:\n  bad.txt line 2: ');
  });

  it('exits with 1 when strict mode stops', async () => {
    const file = await writeFixture(folder, 'strict.txt', '7 8\nabc\n');

    const result = await runCli(database.url, [
      'import',
      file,
      '--format',
      'sequential',
      '--strict',
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Stopped import of strict\.txt: 2 rows read, 0 inserted/);
    expect(result.stderr).toContain('qrec: strict.txt line 2: position 0: item id "abc"');
    expect(result.stderr).toContain('Import stopped (--strict)');
  });

  it('rejects an event type outside EVENT_TYPES', async () => {
    const file = await writeFixture(folder, 'train.txt', '1 2\n');

    const result = await runCli(database.url, [
      'import',
      file,
      '--format',
      'sequential',
      '--event-type',
      'hover',
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The event type "hover" is not in EVENT_TYPES');
  });

  it('rejects an option of another format', async () => {
    const file = await writeFixture(folder, 'train.txt', '1 2\n');

    const result = await runCli(database.url, [
      'import',
      file,
      '--format',
      'sequential',
      '--no-header',
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--no-header applies only to --format csv, not sequential');
  });

  it('rejects an unknown format', async () => {
    const result = await runCli(database.url, ['import', folder, '--format', 'parquet']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("argument 'parquet' is invalid");
  });

  it('rejects a missing input path', async () => {
    const missing = path.join(folder, 'no-such-file.txt');
    const before = await countRows(database.url);

    const result = await runCli(database.url, ['import', missing, '--format', 'sequential']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`qrec: input path ${missing} not found (no such file or folder)\n`);
    expect(await countRows(database.url)).toEqual(before);
  });

  it('help starts evaluate in lower case', async () => {
    const result = await runCli(database.url, ['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}evaluate \[options\] +evaluate recommenders offline/m);
    expect(result.stdout).not.toContain('Evaluate recommenders');
  });

  it.each([
    [
      ['--history-windows', 'newest'],
      "error: option '--history-windows <kind>' argument 'newest' is invalid. " +
        'Allowed choices are last, all.',
    ],
    [
      ['--ema-decay', '1'],
      "error: option '--ema-decay <x>' argument '1' is invalid. " +
        'expected a number in [0, 1), got "1".',
    ],
  ])('prints a hint after an invalid value: %j', async (flags, message) => {
    const result = await runCli(database.url, ['train', ...flags]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`${message}\n(add --help to the command to list its options)\n`);
  });

  it.each([
    [['--heads', '3'], "error: option '--heads': invalid heads 3: it must divide dim 64"],
    [
      ['--min-learning-rate', '0.1'],
      "error: option '--min-learning-rate': invalid minLearningRate: 0.1; " +
        'expected at most the peak learningRate 0.004',
    ],
  ])('names the option of a value the model rejects: %j', async (flags, message) => {
    const data = path.join(folder, 'never-read');

    const result = await runCli(database.url, ['train', '--data', data, ...flags]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${message}\n(add --help to the command to list its options)\n`);
  });

  it('lists applied migrations', async () => {
    const result = await runCli(database.url, ['migrate', '--show']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(MIGRATION_NAMES.map((name) => `[applied] ${name}\n`).join(''));
  });

  it('reverts and reapplies a migration', async () => {
    const scratch = await createTestDatabase();
    try {
      const reverted = await runCli(scratch.url, ['migrate', '--revert']);
      const shown = await runCli(scratch.url, ['migrate', '--show']);
      const applied = await runCli(scratch.url, ['migrate']);
      const again = await runCli(scratch.url, ['migrate']);

      const last = MIGRATION_NAMES[MIGRATION_NAMES.length - 1];
      expect(reverted.stdout).toBe(`Reverted ${last}\n`);
      expect(shown.stdout).toContain(`[pending] ${last}\n`);
      expect(applied.stdout).toBe(`Applied ${last}\n`);
      expect(again.stdout).toBe('No pending migrations.\n');
      expect(await countRows(scratch.url)).toEqual({ users: 0, items: 0, interactions: 0 });
    } finally {
      await scratch.drop();
    }
  });

  it('rejects --revert with --show', async () => {
    const result = await runCli(database.url, ['migrate', '--revert', '--show']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--revert and --show cannot be used together');
  });
});
