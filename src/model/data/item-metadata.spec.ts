import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdMapping, readMovieLens100kItems, readMovieLens1mMovies } from './item-metadata';

const flags = (set: number[]): string =>
  Array.from({ length: 19 }, (_, position) => (set.includes(position) ? '1' : '0')).join('|');

describe('item metadata readers', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qrec-metadata-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('decodes movies.dat as ISO-8859-1', async () => {
    const path = join(folder, 'movies.dat');
    const text =
      "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Misérables, Les (1995)::Drama\n";
    await writeFile(path, Buffer.from(text, 'latin1'));

    const movies = await readMovieLens1mMovies(path);

    expect(movies.get('2')?.title).toBe('Misérables, Les (1995)');
    expect(movies.get('1')?.genres).toEqual(['Animation', "Children's", 'Comedy']);
  });

  it('reports a bad movies.dat line', async () => {
    const path = join(folder, 'movies.dat');
    await writeFile(path, '1::Toy Story (1995)::Animation\n2::Jumanji (1995)\n');

    await expect(readMovieLens1mMovies(path)).rejects.toThrow(
      `${path}:2: expected 3 fields, found 2`,
    );
  });

  it('reads u.item titles and genre flags', async () => {
    const path = join(folder, 'u.item');
    const lines = [
      `1|Toy Story (1995)|01-Jan-1995||http://example.org/1|${flags([3, 4, 5])}`,
      `1104|C'est arrivé près de chez vous (1992)|01-Jan-1992||http://example.org/2|${flags([5, 6, 8])}`,
    ];
    await writeFile(path, Buffer.from(lines.join('\n'), 'latin1'));

    const movies = await readMovieLens100kItems(path);

    expect(movies.get('1104')?.title).toBe("C'est arrivé près de chez vous (1992)");
    expect(movies.get('1104')?.genres).toEqual(['Comedy', 'Crime', 'Drama']);
    expect(movies.get('1')?.genres).toEqual(['Animation', "Children's", 'Comedy']);
  });

  it('reports a short u.item line', async () => {
    const path = join(folder, 'u.item');
    await writeFile(path, `1|Toy Story (1995)|01-Jan-1995||url|${flags([])}\n2|GoldenEye|x\n`);

    await expect(readMovieLens100kItems(path)).rejects.toThrow(
      `${path}:2: expected 24 fields, found 3`,
    );
  });

  it('reads an id mapping', async () => {
    const path = join(folder, 'sas_to_movielens_items.txt');
    await writeFile(path, '1 1198\n2 3552\n');

    const mapping = await readIdMapping(path);

    expect(mapping.get('1')).toBe('1198');
    expect(mapping.get('2')).toBe('3552');
  });

  it('rejects an id mapped twice', async () => {
    const path = join(folder, 'sas_to_movielens_items.txt');
    await writeFile(path, '1 1198\n1 3552\n');

    await expect(readIdMapping(path)).rejects.toThrow(`${path}:2: id "1" is mapped twice`);
  });
});
