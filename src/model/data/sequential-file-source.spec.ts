import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError, UserSequence } from './sequence-source';
import { readItemIdColumn, SequentialFileSource } from './sequential-file-source';

async function collect(source: SequentialFileSource): Promise<UserSequence[]> {
  const sequences: UserSequence[] = [];
  for await (const sequence of source.sequences()) {
    sequences.push(sequence);
  }
  return sequences;
}

describe('SequentialFileSource', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-sequential-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('numbers users by line', async () => {
    const path = join(folder, 'train.txt');
    await writeFile(path, '1 2 3\n4 5\n');

    const sequences = await collect(new SequentialFileSource(path));

    expect(sequences).toEqual([
      { userId: '1', itemIds: ['1', '2', '3'] },
      { userId: '2', itemIds: ['4', '5'] },
    ]);
  });

  it('skips empty lines but keeps numbering', async () => {
    const path = join(folder, 'train.txt');
    await writeFile(path, '7 8\n\n9\n');

    const sequences = await collect(new SequentialFileSource(path));

    expect(sequences.map((sequence) => sequence.userId)).toEqual(['1', '3']);
  });

  it('reads CRLF and a last line without newline', async () => {
    const path = join(folder, 'train.txt');
    await writeFile(path, '1 2\r\n3 4');

    const sequences = await collect(new SequentialFileSource(path));

    expect(sequences[0].itemIds).toEqual(['1', '2']);
    expect(sequences[1].itemIds).toEqual(['3', '4']);
  });

  it('reports a bad line with its number', async () => {
    const path = join(folder, 'train.txt');
    await writeFile(path, '1 2\n3 x4\n5\n');

    const error = await collect(new SequentialFileSource(path)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).lineNumber).toBe(2);
    expect((error as DataFormatError).message).toBe(`${path}:2: invalid item id "x4"`);
  });
});

describe('readItemIdColumn', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-targets-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads one id per line', async () => {
    const path = join(folder, 'val_target.txt');
    await writeFile(path, '5\n17\n');

    await expect(readItemIdColumn(path)).resolves.toEqual(['5', '17']);
  });

  it('rejects two ids on a line', async () => {
    const path = join(folder, 'val_target.txt');
    await writeFile(path, '5\n6 7\n');

    await expect(readItemIdColumn(path)).rejects.toThrow(
      `${path}:2: expected one item id, found 2`,
    );
  });
});
