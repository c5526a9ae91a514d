import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findFile, ReadProgress } from '../line-reader';
import {
  parseMl100kGenreLine,
  parseMl100kItemLine,
  parseMl1mMovieLine,
  parseMl1mRatingLine,
  parseMl100kRatingLine,
  ratingToEvent,
} from '../parsers/movielens';
import { EventRecord, ImportSource, ItemRecord, SourceEntry } from '../types';
import { parseFileLines, readMetadataFile } from './source-lines';

/** MovieLens files are ISO-8859-1 encoded (`movies.dat` of 1M has accented titles). */
const MOVIELENS_ENCODING = 'latin1';

/** Resolves the dataset folder from a path that names it or a file inside it. */
async function resolveFolder(inputPath: string): Promise<string> {
  const stats = await fs.stat(inputPath);
  return stats.isDirectory() ? inputPath : path.dirname(inputPath);
}

async function requireFile(folder: string, name: string, format: string): Promise<string> {
  const file = await findFile(folder, name);
  if (file === undefined) {
    throw new Error(
      `${name} not found in ${folder}: --format ${format} expects a MovieLens folder`,
    );
  }
  return file;
}

/**
 * MovieLens 100K: ratings from `u.data`, and the catalog from `u.item` with genre names from
 * `u.genre` when both are present.
 */
export async function openMl100kSource(
  inputPath: string,
  eventType: string,
): Promise<ImportSource> {
  const folder = await resolveFolder(inputPath);
  const ratings = await requireFile(folder, 'u.data', 'ml-100k');
  const itemFile = await findFile(folder, 'u.item');
  const genreFile =
    itemFile === undefined ? undefined : await requireFile(folder, 'u.genre', 'ml-100k');

  const catalogFiles =
    itemFile !== undefined && genreFile !== undefined ? [genreFile, itemFile] : [];
  return {
    files: [...catalogFiles, ratings],
    items: (progress) => readMl100kItems(genreFile, itemFile, progress),
    events: (progress) =>
      parseFileLines(ratings, MOVIELENS_ENCODING, progress, (text) => [
        ratingToEvent(parseMl100kRatingLine(text), 'ml100k', eventType),
      ]),
  };
}

async function* readMl100kItems(
  genreFile: string | undefined,
  itemFile: string | undefined,
  progress: ReadProgress,
): AsyncGenerator<SourceEntry<ItemRecord>> {
  if (genreFile === undefined || itemFile === undefined) {
    return;
  }
  const genres = await readGenreNames(genreFile, progress);
  yield* parseFileLines(itemFile, MOVIELENS_ENCODING, progress, (text) => [
    parseMl100kItemLine(text, genres),
  ]);
}

/** Genre names ordered by their index, which is the order of the flags in `u.item`. */
async function readGenreNames(file: string, progress: ReadProgress): Promise<string[]> {
  const genres = await readMetadataFile(file, MOVIELENS_ENCODING, progress, (text) => {
    const genre = parseMl100kGenreLine(text);
    return genre === undefined ? [] : [genre];
  });
  const names: string[] = [];
  for (const genre of genres) {
    names[genre.index] = genre.name;
  }
  if (names.length !== genres.length || names.some((name) => name === undefined)) {
    throw new Error(`Invalid ${file}: genre indexes must run from 0 without gaps or repeats`);
  }
  return names;
}

/** MovieLens 1M: ratings from `ratings.dat`, and the catalog from `movies.dat` if present. */
export async function openMl1mSource(inputPath: string, eventType: string): Promise<ImportSource> {
  const folder = await resolveFolder(inputPath);
  const ratings = await requireFile(folder, 'ratings.dat', 'ml-1m');
  const movies = await findFile(folder, 'movies.dat');

  return {
    files: movies === undefined ? [ratings] : [movies, ratings],
    items: (progress) => readMl1mItems(movies, progress),
    events: (progress): AsyncIterable<SourceEntry<EventRecord>> =>
      parseFileLines(ratings, MOVIELENS_ENCODING, progress, (text) => [
        ratingToEvent(parseMl1mRatingLine(text), 'ml1m', eventType),
      ]),
  };
}

async function* readMl1mItems(
  movies: string | undefined,
  progress: ReadProgress,
): AsyncGenerator<SourceEntry<ItemRecord>> {
  if (movies !== undefined) {
    yield* parseFileLines(movies, MOVIELENS_ENCODING, progress, (text) => [
      parseMl1mMovieLine(text),
    ]);
  }
}

export { MOVIELENS_ENCODING };
