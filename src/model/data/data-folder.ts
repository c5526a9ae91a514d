import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readIdMapping, readMovieLens100kItems, readMovieLens1mMovies } from './item-metadata';
import { collectItemIds, ItemMetadata, ItemVocabulary } from './item-vocabulary';
import { RatingsFileSource } from './ratings-file-source';
import { SequenceDataset } from './sequence-dataset';
import { SequenceSource, UserSequence } from './sequence-source';
import { readItemIdColumn, SequentialFileSource } from './sequential-file-source';
import { EvaluationSet, leaveOneOutSplit } from './split';

/**
 * Supported data folder layouts:
 * - `sequential`: `train.txt` (line N = user N), optionally `val_input.txt` + `val_target.txt`.
 * - `ml-1m`: raw MovieLens 1M, `ratings.dat` and optionally `movies.dat`.
 * - `ml-100k`: raw MovieLens 100K, `u.data` and optionally `u.item`.
 */
export const DATA_FORMATS = ['sequential', 'ml-1m', 'ml-100k'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** A data folder loaded for training and offline evaluation. */
export interface LoadedData {
  format: DataFormat;
  vocabulary: ItemVocabulary;
  train: SequenceDataset;
  validation: EvaluationSet;
  /** Leave-one-out test set; absent when the folder provides its own validation files. */
  test?: EvaluationSet;
  /** Users too short to evaluate, kept in `train` only (leave-one-out splits). */
  trainOnlyUserCount: number;
}

const TRAIN_FILE = 'train.txt';
const VALIDATION_INPUT_FILE = 'val_input.txt';
const VALIDATION_TARGET_FILE = 'val_target.txt';
const MOVIELENS_1M_RATINGS_FILE = 'ratings.dat';
const MOVIELENS_1M_MOVIES_FILE = 'movies.dat';
const SEQUENTIAL_ITEM_MAPPING_FILE = 'sas_to_movielens_items.txt';
const MOVIELENS_100K_RATINGS_FILE = 'u.data';
const MOVIELENS_100K_ITEMS_FILE = 'u.item';

export function isDataFormat(value: string): value is DataFormat {
  return (DATA_FORMATS as readonly string[]).includes(value);
}

/** Detects the format from the files present. Throws when no known data file is found. */
export async function detectDataFormat(folder: string): Promise<DataFormat> {
  await requireFolder(folder);
  if (await fileExists(join(folder, TRAIN_FILE))) {
    return 'sequential';
  }
  if (await fileExists(join(folder, MOVIELENS_1M_RATINGS_FILE))) {
    return 'ml-1m';
  }
  if (await fileExists(join(folder, MOVIELENS_100K_RATINGS_FILE))) {
    return 'ml-100k';
  }
  throw new Error(
    `no ${TRAIN_FILE}, ${MOVIELENS_1M_RATINGS_FILE} or ${MOVIELENS_100K_RATINGS_FILE} found in ` +
      `data folder "${folder}"; pass --format to name the layout`,
  );
}

/**
 * Loads a data folder: builds the item vocabulary (with titles and genres when the metadata
 * files are present), encodes the training sequences and prepares the evaluation sets.
 */
export async function loadDataFolder(folder: string, format: DataFormat): Promise<LoadedData> {
  await requireFolder(folder);
  switch (format) {
    case 'sequential':
      return loadSequentialFolder(folder);
    case 'ml-1m':
      return loadRatingsFolder(
        format,
        RatingsFileSource.movieLens1m(await requireFile(folder, MOVIELENS_1M_RATINGS_FILE, format)),
        () => readMovieLens1mMovies(join(folder, MOVIELENS_1M_MOVIES_FILE)),
        join(folder, MOVIELENS_1M_MOVIES_FILE),
      );
    case 'ml-100k':
      return loadRatingsFolder(
        format,
        RatingsFileSource.movieLens100k(
          await requireFile(folder, MOVIELENS_100K_RATINGS_FILE, format),
        ),
        () => readMovieLens100kItems(join(folder, MOVIELENS_100K_ITEMS_FILE)),
        join(folder, MOVIELENS_100K_ITEMS_FILE),
      );
  }
}

async function loadSequentialFolder(folder: string): Promise<LoadedData> {
  const trainSource = new SequentialFileSource(await requireFile(folder, TRAIN_FILE, 'sequential'));
  const inputPath = join(folder, VALIDATION_INPUT_FILE);
  const targetPath = join(folder, VALIDATION_TARGET_FILE);
  const hasInput = await fileExists(inputPath);
  const hasTarget = await fileExists(targetPath);
  if (hasInput !== hasTarget) {
    throw new Error(
      `data folder "${folder}" has only one of ${VALIDATION_INPUT_FILE} and ` +
        `${VALIDATION_TARGET_FILE}; provide both, or neither for a leave-one-out split`,
    );
  }

  if (!hasInput) {
    const vocabulary = await ItemVocabulary.fromSources([trainSource]);
    await attachSequentialMetadata(folder, vocabulary);
    const dataset = await SequenceDataset.fromSource(trainSource, vocabulary);
    return { format: 'sequential', vocabulary, ...leaveOneOutSplit(dataset) };
  }

  // The split's own validation users: train on every line of train.txt (validation users'
  // shorter histories included) and evaluate on val_input -> val_target.
  const inputSource = new ValidationInputSource(inputPath);
  const targetIds = await readItemIdColumn(targetPath);
  const itemIds = await collectItemIds([trainSource, inputSource]);
  targetIds.forEach((itemId) => itemIds.add(itemId));
  const vocabulary = ItemVocabulary.fromItemIds(itemIds);
  await attachSequentialMetadata(folder, vocabulary);

  const train = await SequenceDataset.fromSource(trainSource, vocabulary);
  const histories = await SequenceDataset.fromSource(inputSource, vocabulary);
  if (histories.userCount !== targetIds.length) {
    throw new Error(
      `${VALIDATION_INPUT_FILE} has ${histories.userCount} lines but ` +
        `${VALIDATION_TARGET_FILE} has ${targetIds.length}; they must match line by line`,
    );
  }
  const targets = Int32Array.from(targetIds, (itemId) => vocabulary.requireIndex(itemId));
  return {
    format: 'sequential',
    vocabulary,
    train,
    validation: { histories, targets },
    trainOnlyUserCount: 0,
  };
}

async function loadRatingsFolder(
  format: DataFormat,
  source: RatingsFileSource,
  readMetadata: () => Promise<Map<string, ItemMetadata>>,
  metadataPath: string,
): Promise<LoadedData> {
  const vocabulary = await ItemVocabulary.fromSources([source]);
  if (await fileExists(metadataPath)) {
    vocabulary.attachMetadata(await readMetadata());
  }
  const dataset = await SequenceDataset.fromSource(source, vocabulary);
  return { format, vocabulary, ...leaveOneOutSplit(dataset) };
}

/** Attaches MovieLens titles, translating sequential ids through the mapping file if present. */
async function attachSequentialMetadata(folder: string, vocabulary: ItemVocabulary): Promise<void> {
  const moviesPath = join(folder, MOVIELENS_1M_MOVIES_FILE);
  if (!(await fileExists(moviesPath))) {
    return;
  }
  const movies = await readMovieLens1mMovies(moviesPath);
  const mappingPath = join(folder, SEQUENTIAL_ITEM_MAPPING_FILE);
  if (await fileExists(mappingPath)) {
    const mapping = await readIdMapping(mappingPath);
    vocabulary.attachMetadata(movies, (itemId) => mapping.get(itemId));
  } else {
    vocabulary.attachMetadata(movies);
  }
}

/**
 * Reads `val_input.txt`, where line i is validation user i's history and must not be empty,
 * because line i of `val_target.txt` belongs to it.
 */
class ValidationInputSource implements SequenceSource {
  private readonly lines: SequentialFileSource;

  constructor(readonly path: string) {
    this.lines = new SequentialFileSource(path);
  }

  async *sequences(): AsyncGenerator<UserSequence> {
    let expectedLine = 1;
    for await (const sequence of this.lines.sequences()) {
      if (sequence.userId !== String(expectedLine)) {
        throw new Error(`${this.path}:${expectedLine}: validation history is empty`);
      }
      expectedLine += 1;
      yield sequence;
    }
  }
}

async function requireFolder(folder: string): Promise<void> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined) {
    throw new Error(`data folder not found: "${folder}"`);
  }
  if (!info.isDirectory()) {
    throw new Error(`data path is not a folder: "${folder}"`);
  }
}

async function requireFile(folder: string, name: string, format: DataFormat): Promise<string> {
  const path = join(folder, name);
  if (!(await fileExists(path))) {
    const detected = await detectDataFormat(folder).catch(() => undefined);
    const hint = detected === undefined ? '' : `; its files match format "${detected}"`;
    throw new Error(
      `${name} not found in data folder "${folder}" (required by format "${format}")${hint}`,
    );
  }
  return path;
}

async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
