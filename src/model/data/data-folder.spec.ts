import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectDataFormat, loadDataFolder } from './data-folder';

describe('loadDataFolder', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-folder-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('uses validation files when present', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n2 3\n3 4 1 2\n');
    await writeFile(join(folder, 'val_input.txt'), '1 2 3 4\n2 3 5\n');
    await writeFile(join(folder, 'val_target.txt'), '2\n1\n');

    const data = await loadDataFolder(folder, 'sequential');

    expect(data.vocabulary.size).toBe(5);
    expect(data.train.userCount).toBe(3);
    expect(data.train.interactionCount).toBe(9);
    expect(data.validation.histories.userCount).toBe(2);
    expect(Array.from(data.validation.histories.sequence(1))).toEqual([2, 3, 5]);
    expect(Array.from(data.validation.targets)).toEqual([2, 1]);
    expect(data.test).toBeUndefined();
  });

  it('splits leave-one-out without validation files', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3 4\n5 6\n');

    const data = await loadDataFolder(folder, 'sequential');

    expect(Array.from(data.validation.targets)).toEqual([3]);
    expect(Array.from(data.test?.targets ?? [])).toEqual([4]);
    expect(data.trainOnlyUserCount).toBe(1);
  });

  it('rejects mismatched validation files', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n');
    await writeFile(join(folder, 'val_input.txt'), '1 2\n2 3\n');
    await writeFile(join(folder, 'val_target.txt'), '3\n');

    await expect(loadDataFolder(folder, 'sequential')).rejects.toThrow(
      'val_input.txt has 2 lines but val_target.txt has 1',
    );
  });

  it('rejects one validation file alone', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n');
    await writeFile(join(folder, 'val_input.txt'), '1 2\n');

    await expect(loadDataFolder(folder, 'sequential')).rejects.toThrow(
      'has only one of val_input.txt and val_target.txt',
    );
  });

  it('attaches titles through the item mapping', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 1\n');
    await writeFile(join(folder, 'sas_to_movielens_items.txt'), '1 1198\n2 3552\n');
    await writeFile(
      join(folder, 'movies.dat'),
      Buffer.from(
        '1198::Raiders of the Lost Ark (1981)::Action\n3552::Caddyshack (1980)::Comedy\n',
        'latin1',
      ),
    );

    const data = await loadDataFolder(folder, 'sequential');

    expect(data.vocabulary.metadata(1)?.title).toBe('Raiders of the Lost Ark (1981)');
    expect(data.vocabulary.metadata(2)?.genres).toEqual(['Comedy']);
  });

  it('loads raw MovieLens 1M ratings', async () => {
    await writeFile(
      join(folder, 'ratings.dat'),
      '1::20::5::3\n1::10::4::1\n1::30::4::2\n2::10::3::9\n',
    );
    await writeFile(
      join(folder, 'movies.dat'),
      Buffer.from('10::Misérables, Les (1995)::Drama\n', 'latin1'),
    );

    const data = await loadDataFolder(folder, 'ml-1m');

    expect(
      Array.from(data.test?.targets ?? []).map((index) => data.vocabulary.itemId(index)),
    ).toEqual(['20']);
    expect(data.vocabulary.metadata(data.vocabulary.requireIndex('10'))?.title).toBe(
      'Misérables, Les (1995)',
    );
  });

  it('loads raw MovieLens 100K ratings', async () => {
    await writeFile(join(folder, 'u.data'), '5\t7\t3\t30\n5\t8\t3\t10\n5\t9\t3\t20');

    const data = await loadDataFolder(folder, 'ml-100k');

    expect(
      Array.from(data.train.sequence(0)).map((index) => data.vocabulary.itemId(index)),
    ).toEqual(['8']);
    expect(
      Array.from(data.test?.targets ?? []).map((index) => data.vocabulary.itemId(index)),
    ).toEqual(['7']);
  });

  it('names a missing folder', async () => {
    const missing = join(folder, 'absent');

    await expect(loadDataFolder(missing, 'sequential')).rejects.toThrow(
      `data folder not found: "${missing}"`,
    );
  });

  it('suggests the detected format', async () => {
    await writeFile(join(folder, 'train.txt'), '1 2 3\n');

    await expect(loadDataFolder(folder, 'ml-100k')).rejects.toThrow(
      'its files match format "sequential"',
    );
  });

  it('names a missing data file', async () => {
    await expect(loadDataFolder(folder, 'ml-1m')).rejects.toThrow(
      `ratings.dat not found in data folder "${folder}" (required by format "ml-1m")`,
    );
  });
});

describe('detectDataFormat', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-detect-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each([
    ['train.txt', 'sequential'],
    ['ratings.dat', 'ml-1m'],
    ['u.data', 'ml-100k'],
  ])('detects %s as %s', async (file, format) => {
    await writeFile(join(folder, file), '');

    await expect(detectDataFormat(folder)).resolves.toBe(format);
  });

  it('rejects a folder without data files', async () => {
    await expect(detectDataFormat(folder)).rejects.toThrow('pass --format to name the layout');
  });
});

const ML_1M_FOLDER = join(__dirname, '../../../../shared/datasets/ml-1m');
const describeWithMl1m = existsSync(ML_1M_FOLDER) ? describe : describe.skip;

describeWithMl1m('ml-1m sequential split', () => {
  it('matches the published counts', async () => {
    const data = await loadDataFolder(ML_1M_FOLDER, 'sequential');

    expect(data.train.userCount).toBe(6040);
    expect(data.train.interactionCount).toBe(987_019);
    expect(data.validation.targets.length).toBe(512);
    expect(data.vocabulary.size).toBe(3416);
    expect(data.vocabulary.indexOf('3416')).toBe(3416);
    expect(data.vocabulary.metadata(1)?.title).toBe('Raiders of the Lost Ark (1981)');
  });
});
