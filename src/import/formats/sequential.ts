import * as path from 'node:path';
import { findFile, ReadProgress } from '../line-reader';
import { parseMl1mMovieLine } from '../parsers/movielens';
import { parseItemMappingLine, parseSequentialLine, sequenceToEvents } from '../parsers/sequential';
import { ImportSource, ItemRecord, LineParseError, SourceEntry } from '../types';
import { MOVIELENS_ENCODING } from './movielens';
import { parseFileLines, readMetadataFile } from './source-lines';

/** Time of the first event of every user when the sequential file has no timestamps. */
export const DEFAULT_SEQUENCE_START = new Date('2000-01-01T00:00:00Z');

const ITEM_MAPPING_FILE = 'sas_to_movielens_items.txt';
const MOVIES_FILE = 'movies.dat';

/**
 * Opens a sequential file, in which line N lists the items of user N in time order. When the
 * folder also contains `movies.dat` and `sas_to_movielens_items.txt`, the catalog takes
 * titles and genres from them. Otherwise every item is created with its id as the title.
 */
export async function openSequentialSource(
  file: string,
  eventType: string,
  start: Date,
): Promise<ImportSource> {
  const folder = path.dirname(file);
  const mapping = await findFile(folder, ITEM_MAPPING_FILE);
  const movies = await findFile(folder, MOVIES_FILE);
  const catalogFiles = mapping !== undefined && movies !== undefined ? [movies, mapping] : [];

  return {
    files: [...catalogFiles, file],
    items: (progress) => readMappedItems(movies, mapping, progress),
    events: (progress) =>
      parseFileLines(file, 'utf8', progress, (text, lineNumber) =>
        sequenceToEvents(String(lineNumber), parseSequentialLine(text), eventType, start),
      ),
  };
}

async function* readMappedItems(
  movies: string | undefined,
  mapping: string | undefined,
  progress: ReadProgress,
): AsyncGenerator<SourceEntry<ItemRecord>> {
  if (movies === undefined || mapping === undefined) {
    return;
  }

  const movieList = await readMetadataFile(movies, MOVIELENS_ENCODING, progress, (text) => [
    parseMl1mMovieLine(text),
  ]);
  const moviesById = new Map(movieList.map((movie) => [movie.itemId, movie]));

  yield* parseFileLines(mapping, 'utf8', progress, (text) => {
    const { itemId, movieLensId } = parseItemMappingLine(text);
    const movie = moviesById.get(movieLensId);
    if (movie === undefined) {
      throw new LineParseError(`MovieLens id ${movieLensId} is not in ${MOVIES_FILE}`);
    }
    return [
      {
        itemId,
        title: movie.title,
        categories: movie.categories,
        attributes: { movieLensId: Number(movieLensId) },
      },
    ];
  });
}
