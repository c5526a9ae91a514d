import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RatingsFileSource } from './ratings-file-source';
import { DataFormatError, UserSequence } from './sequence-source';

async function collect(source: RatingsFileSource): Promise<UserSequence[]> {
  const sequences: UserSequence[] = [];
  for await (const sequence of source.sequences()) {
    sequences.push(sequence);
  }
  return sequences;
}

describe('RatingsFileSource', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-ratings-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  describe('movieLens1m', () => {
    it('orders each user by timestamp', async () => {
      const path = join(folder, 'ratings.dat');
      await writeFile(
        path,
        ['2::30::4::300', '1::10::5::200', '2::20::3::100', '1::11::1::100'].join('\n'),
      );

      const sequences = await collect(RatingsFileSource.movieLens1m(path));

      expect(sequences).toEqual([
        { userId: '1', itemIds: ['11', '10'] },
        { userId: '2', itemIds: ['20', '30'] },
      ]);
    });

    it('keeps file order on equal timestamps', async () => {
      const path = join(folder, 'ratings.dat');
      await writeFile(path, '1::30::4::100\n1::10::5::100\n1::20::3::100\n1::5::3::50\n');

      const [sequence] = await collect(RatingsFileSource.movieLens1m(path));

      expect(sequence.itemIds).toEqual(['5', '30', '10', '20']);
    });

    it('orders users numerically', async () => {
      const path = join(folder, 'ratings.dat');
      await writeFile(path, '10::1::4::1\n9::1::4::1\n100::1::4::1\n');

      const sequences = await collect(RatingsFileSource.movieLens1m(path));

      expect(sequences.map((sequence) => sequence.userId)).toEqual(['9', '10', '100']);
    });

    it('reports a bad line with its number', async () => {
      const path = join(folder, 'ratings.dat');
      await writeFile(path, '1::10::5::200\n1::11::1\n');

      const error = await collect(RatingsFileSource.movieLens1m(path)).catch(
        (caught: unknown) => caught,
      );

      expect(error).toBeInstanceOf(DataFormatError);
      expect((error as DataFormatError).lineNumber).toBe(2);
      expect((error as DataFormatError).message).toContain('expected 4 fields');
    });

    it('rejects a non-numeric timestamp', async () => {
      const path = join(folder, 'ratings.dat');
      await writeFile(path, '1::10::5::200\n1::10::5::200\n1::11::1::soon\n');

      await expect(collect(RatingsFileSource.movieLens1m(path))).rejects.toThrow(
        `${path}:3: invalid timestamp "soon"`,
      );
    });
  });

  describe('movieLens100k', () => {
    it('reads tab-separated lines without final newline', async () => {
      const path = join(folder, 'u.data');
      await writeFile(
        path,
        '196\t242\t3\t881250949\n196\t302\t3\t881250940\n22\t377\t1\t878887116',
      );

      const sequences = await collect(RatingsFileSource.movieLens100k(path));

      expect(sequences).toEqual([
        { userId: '22', itemIds: ['377'] },
        { userId: '196', itemIds: ['302', '242'] },
      ]);
    });

    it('reports a bad line with its number', async () => {
      const path = join(folder, 'u.data');
      await writeFile(path, '196\t242\t3\t881250949\n196 302 3 881250940\n');

      await expect(collect(RatingsFileSource.movieLens100k(path))).rejects.toThrow(
        `${path}:2: expected 4 fields (user, item, rating, timestamp), found 1`,
      );
    });
  });
});
