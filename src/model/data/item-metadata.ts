import { ItemMetadata } from './item-vocabulary';
import { readLines } from './line-reader';
import { DataFormatError } from './sequence-source';

/** Genre flag columns of MovieLens 100K `u.item`, in file order (as listed in `u.genre`). */
const MOVIELENS_100K_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** Reads MovieLens 1M `movies.dat` (`MovieID::Title::Genre|Genre`, ISO-8859-1), keyed by MovieID. */
export async function readMovieLens1mMovies(path: string): Promise<Map<string, ItemMetadata>> {
  const movies = new Map<string, ItemMetadata>();
  for await (const { lineNumber, text } of readLines(path, 'latin1')) {
    if (text.trim().length === 0) {
      continue;
    }
    const fields = text.split('::');
    if (fields.length !== 3) {
      throw new DataFormatError(path, lineNumber, `expected 3 fields, found ${fields.length}`);
    }
    const [movieId, title, genres] = fields;
    const genreList = genres.length === 0 ? [] : genres.split('|');
    movies.set(movieId.trim(), { title, genres: genreList });
  }
  return movies;
}

/**
 * Reads MovieLens 100K `u.item` (`|`-separated, ISO-8859-1): id, title, release date, video
 * release date, IMDb URL and 19 genre flags. Returns metadata keyed by movie id.
 */
export async function readMovieLens100kItems(path: string): Promise<Map<string, ItemMetadata>> {
  const expectedFields = 5 + MOVIELENS_100K_GENRES.length;
  const movies = new Map<string, ItemMetadata>();
  for await (const { lineNumber, text } of readLines(path, 'latin1')) {
    if (text.trim().length === 0) {
      continue;
    }
    const fields = text.split('|');
    if (fields.length !== expectedFields) {
      throw new DataFormatError(
        path,
        lineNumber,
        `expected ${expectedFields} fields, found ${fields.length}`,
      );
    }
    const flags = fields.slice(5);
    const genres = MOVIELENS_100K_GENRES.filter((_, position) => flags[position] === '1');
    movies.set(fields[0].trim(), { title: fields[1], genres });
  }
  return movies;
}

/**
 * Reads an id mapping with `<id> <other id>` per line, such as the file that maps the
 * sequential split's item ids to MovieLens ids. Throws on a repeated source id.
 */
export async function readIdMapping(path: string): Promise<Map<string, string>> {
  const mapping = new Map<string, string>();
  for await (const { lineNumber, text } of readLines(path)) {
    const fields = text.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') {
      continue;
    }
    if (fields.length !== 2) {
      throw new DataFormatError(path, lineNumber, `expected 2 ids, found ${fields.length}`);
    }
    if (mapping.has(fields[0])) {
      throw new DataFormatError(path, lineNumber, `id "${fields[0]}" is mapped twice`);
    }
    mapping.set(fields[0], fields[1]);
  }
  return mapping;
}
