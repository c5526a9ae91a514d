import { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import { createTestDatabase } from './setup/test-database';
import { clusteredInteractions, seedInteractions } from './support/models';
import { execFileAsync, ROOT, runCli } from './support/cli';

const UNKNOWN_VERSION = '00000000-0000-4000-8000-000000000000';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const TINY_TRAINING = [
  '--cutoff',
  '2026-06-01T00:00:00Z',
  '--validation-users',
  '5',
  '--dim',
  '16',
  '--max-length',
  '20',
  '--encoder-blocks',
  '1',
  '--queries',
  '2',
  '--ffn-dim',
  '32',
  '--epochs',
  '2',
  '--batch-size',
  '16',
  '--warmup-steps',
  '0',
  '--top-k',
  '5',
  '--threads',
  '1',
];

describe('qrec train --from-db and qrec models', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  const versionIds: string[] = [];

  beforeAll(async () => {
    // The test runs the compiled CLI; tsc is incremental, so a rebuild is quick.
    await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, poolSize: 1, runMigrations: false });
  }, 180_000);

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  async function statusOf(id: string): Promise<string> {
    const rows: { status: string }[] = await dataSource.query(
      'SELECT status FROM model_versions WHERE id = $1',
      [id],
    );
    return rows[0].status;
  }

  it('lists no versions on a new database', async () => {
    const result = await runCli(database.url, ['models']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('No model versions. Train one with `qrec train --from-db`.\n');
  });

  it('fails to train without interactions', async () => {
    const result = await runCli(database.url, ['train', '--from-db', ...TINY_TRAINING]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no interactions occurred at or before 2026-06-01');
  });

  it('trains from the database and registers a version', async () => {
    await seedInteractions(dataSource, clusteredInteractions(10, 10, 10));

    const result = await runCli(database.url, ['train', '--from-db', ...TINY_TRAINING]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Registered model version [0-9a-f-]{36}: 20 items, data up to 2026-06-01T00:00:00.000Z, best epoch \d of 2 \(stopped by epochs\), validation NDCG@10 \d\.\d{4} on 5 users, /,
    );
    expect(result.stderr).toContain('epoch 2/2');
    const id = UUID.exec(result.stdout)![0];
    versionIds.push(id);
    expect(await statusOf(id)).toBe('registered');
  }, 120_000);

  it('activates the version it trains with --activate', async () => {
    const result = await runCli(database.url, [
      'train',
      '--from-db',
      '--activate',
      ...TINY_TRAINING,
    ]);

    expect(result.code).toBe(0);
    const id = UUID.exec(result.stdout)![0];
    versionIds.push(id);
    expect(result.stdout).toContain(`Activated model version ${id}\n`);
    expect(await statusOf(id)).toBe('active');
  }, 120_000);

  it('lists versions as a table, newest first', async () => {
    const result = await runCli(database.url, ['models']);
    const lines = result.stdout.trimEnd().split('\n');

    expect(result.code).toBe(0);
    expect(lines[0]).toMatch(/^id\s+status\s+created\s+items\s+NDCG@10\s+cut-off$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${versionIds[1]}\\s+active\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\s+20\\s+\\d\\.\\d{4}\\s+2026-06-01 00:00:00$`,
      ),
    );
    expect(lines[2]).toMatch(new RegExp(`^${versionIds[0]}\\s+registered\\s`));
  });

  it('lists versions as JSON', async () => {
    const result = await runCli(database.url, ['models', '--json', '--status', 'active']);
    const versions = JSON.parse(result.stdout) as { id: string; status: string }[];

    expect(result.code).toBe(0);
    expect(versions.map((version) => version.id)).toEqual([versionIds[1]]);
  });

  it('activates a version by id', async () => {
    const result = await runCli(database.url, ['models', 'activate', versionIds[0]]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Activated model version ${versionIds[0]}\n`);
    expect(await statusOf(versionIds[0])).toBe('active');
    expect(await statusOf(versionIds[1])).toBe('inactive');
  });

  it('combines versions with qrec ensemble', async () => {
    const result = await runCli(database.url, [
      'ensemble',
      '--from-db',
      '--activate',
      versionIds[0],
      versionIds[1],
    ]);

    expect(result.code).toBe(0);
    const id = UUID.exec(result.stdout)![0];
    expect(result.stdout).toBe(
      `Registered model version ${id}: ensemble of 2 versions, 20 items\n` +
        `Activated model version ${id}\n`,
    );
    expect(await statusOf(id)).toBe('active');
    const rows: { config: { ensembleMembers: number } }[] = await dataSource.query(
      'SELECT config FROM model_versions WHERE id = $1',
      [id],
    );
    expect(rows[0].config.ensembleMembers).toBe(2);
  }, 60_000);

  it('names an unknown version in an ensemble', async () => {
    const result = await runCli(database.url, [
      'ensemble',
      '--from-db',
      versionIds[0],
      UNKNOWN_VERSION,
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`qrec: model version "${UNKNOWN_VERSION}" not found\n`);
  });

  it('rejects an unknown version id', async () => {
    const result = await runCli(database.url, ['models', 'activate', 'no-such-version']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('qrec: model version "no-such-version" not found\n');
  });

  it('rejects --data together with --from-db', async () => {
    const result = await runCli(database.url, ['train', '--from-db', '--data', 'folder']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pass exactly one of --data <folder> and --from-db');
  });

  it('rejects --activate without --from-db', async () => {
    const result = await runCli(database.url, ['train', '--data', 'folder', '--activate']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--activate can be used only with --from-db');
  });

  it('rejects a cut-off without a time zone', async () => {
    const result = await runCli(database.url, ['train', '--from-db', '--cutoff', '2026-06-01']);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('expected an ISO 8601 time with a time zone');
  });
});
