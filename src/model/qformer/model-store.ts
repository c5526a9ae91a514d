import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ItemVocabulary } from '../data/item-vocabulary';
import { ParameterTensor } from '../engine/optim/adamw';
import { QFormerConfig, resolveConfig } from './config';
import { exportOnnxModel } from './export';
import { INFERENCE_OUTPUTS } from './inference-graph';

/** Format name and version written into every saved model's manifest. */
export const MODEL_FORMAT = 'qrec-qformer';
export const MODEL_FORMAT_VERSION = 1;

export const MODEL_FILES = {
  model: 'model.onnx',
  items: 'items.json',
  config: 'config.json',
  metrics: 'metrics.json',
  manifest: 'manifest.json',
} as const;

type StoredFile = Exclude<keyof typeof MODEL_FILES, 'manifest'>;
const STORED_FILES: readonly StoredFile[] = ['model', 'items', 'config', 'metrics'];

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  createdAt: string;
  itemCount: number;
  topK: number;
  /** SHA-256 (hex) and size of every other file, by file name. */
  files: Record<string, { sha256: string; bytes: number }>;
}

/** Contents of a saved model directory besides the ONNX file. */
export interface SavedModelContents {
  config: QFormerConfig;
  vocabulary: ItemVocabulary;
  parameters: readonly ParameterTensor[];
  /** Fixed K of the exported top-K output. */
  topK: number;
  /** Training metrics and settings, stored as given (JSON-serialisable). */
  metrics: unknown;
}

/** A saved model that is missing, corrupted, or written by an unsupported format version. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/**
 * Writes a model directory: the ONNX model, the item-id mapping, the configuration, the
 * training metrics and a manifest with the format version and each file's SHA-256. Files go
 * to a temporary directory first, which is renamed into place, so a failed save leaves no
 * half-written model at `directory`.
 */
export async function saveModel(directory: string, contents: SavedModelContents): Promise<void> {
  const itemCount = contents.vocabulary.size;
  const onnx = exportOnnxModel(contents.config, itemCount, contents.parameters, contents.topK);
  const files: Record<StoredFile, Uint8Array> = {
    model: onnx,
    items: jsonBytes(contents.vocabulary.toJSON()),
    config: jsonBytes(contents.config),
    metrics: jsonBytes(contents.metrics),
  };
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    itemCount,
    topK: contents.topK,
    files: {},
  };
  for (const key of STORED_FILES) {
    manifest.files[MODEL_FILES[key]] = { sha256: sha256(files[key]), bytes: files[key].length };
  }

  const staging = `${directory}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const key of STORED_FILES) {
    await writeFile(join(staging, MODEL_FILES[key]), files[key]);
  }
  await writeFile(join(staging, MODEL_FILES.manifest), jsonBytes(manifest));
  await rm(directory, { recursive: true, force: true });
  await rename(staging, directory);
}

/** A loaded model: its ONNX Runtime session and what travels with it. */
export interface LoadedModel {
  directory: string;
  manifest: ModelManifest;
  config: QFormerConfig;
  vocabulary: ItemVocabulary;
  metrics: unknown;
  session: InferenceSession;
}

/**
 * Loads a model directory after checking the manifest's format and version, every file's
 * size and SHA-256, the configuration, the item mapping against the item count, and the
 * ONNX model's inputs and outputs. Throws ModelLoadError naming the first failed check.
 */
export async function loadModel(
  directory: string,
  sessionOptions: InferenceSession.SessionOptions = {},
): Promise<LoadedModel> {
  const manifest = await readManifest(directory);
  const files = new Map<StoredFile, Buffer>();
  for (const key of STORED_FILES) {
    files.set(key, await readVerified(directory, MODEL_FILES[key], manifest));
  }

  const config = parseStored(
    directory,
    MODEL_FILES.config,
    files.get('config') as Buffer,
    (value) => resolveConfig(value as Partial<QFormerConfig>),
  );
  const vocabulary = parseStored(
    directory,
    MODEL_FILES.items,
    files.get('items') as Buffer,
    (value) => ItemVocabulary.fromJSON(value),
  );
  if (vocabulary.size !== manifest.itemCount) {
    throw new ModelLoadError(
      `${join(directory, MODEL_FILES.items)} lists ${vocabulary.size} items, but the manifest ` +
        `says ${manifest.itemCount}`,
    );
  }
  const metrics = parseStored(
    directory,
    MODEL_FILES.metrics,
    files.get('metrics') as Buffer,
    (v) => v,
  );
  const session = await createSession(directory, files.get('model') as Buffer, sessionOptions);
  return { directory, manifest, config, vocabulary, metrics, session };
}

async function readManifest(directory: string): Promise<ModelManifest> {
  const path = join(directory, MODEL_FILES.manifest);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new ModelLoadError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}; ` +
        'pass the directory written by `qrec train --out`',
    );
  });
  const manifest = parseStored(
    directory,
    MODEL_FILES.manifest,
    bytes,
    (value) => value,
  ) as Partial<ModelManifest>;
  if (manifest.format !== MODEL_FORMAT) {
    throw new ModelLoadError(
      `${path}: format is ${JSON.stringify(manifest.format)}, expected "${MODEL_FORMAT}"`,
    );
  }
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelLoadError(
      `${path}: format version ${String(manifest.formatVersion)} is not supported; this ` +
        `build reads version ${MODEL_FORMAT_VERSION}. Retrain or export the model again`,
    );
  }
  if (
    typeof manifest.files !== 'object' ||
    manifest.files === null ||
    !Number.isInteger(manifest.itemCount) ||
    !Number.isInteger(manifest.topK)
  ) {
    throw new ModelLoadError(`${path}: files, itemCount or topK is missing or invalid`);
  }
  return manifest as ModelManifest;
}

async function readVerified(
  directory: string,
  name: string,
  manifest: ModelManifest,
): Promise<Buffer> {
  const path = join(directory, name);
  const expected = manifest.files[name];
  if (expected === undefined) {
    throw new ModelLoadError(`${join(directory, MODEL_FILES.manifest)} does not list ${name}`);
  }
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new ModelLoadError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const actual = sha256(bytes);
  if (bytes.length !== expected.bytes || actual !== expected.sha256) {
    throw new ModelLoadError(
      `${path} fails its checksum: expected ${expected.bytes} bytes with SHA-256 ` +
        `${expected.sha256}, found ${bytes.length} bytes with SHA-256 ${actual}. The file ` +
        'was changed or corrupted after saving; save the model again',
    );
  }
  return bytes;
}

function parseStored<T>(
  directory: string,
  name: string,
  bytes: Buffer,
  parse: (value: unknown) => T,
): T {
  try {
    return parse(JSON.parse(bytes.toString('utf8')));
  } catch (error: unknown) {
    throw new ModelLoadError(
      `invalid ${join(directory, name)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

const REQUIRED_INPUTS = ['items', 'event_types', 'lengths'];
const REQUIRED_OUTPUTS = [
  INFERENCE_OUTPUTS.topItems,
  INFERENCE_OUTPUTS.topScores,
  INFERENCE_OUTPUTS.scores,
  INFERENCE_OUTPUTS.interests,
];

async function createSession(
  directory: string,
  bytes: Buffer,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  const path = join(directory, MODEL_FILES.model);
  const session = await InferenceSession.create(new Uint8Array(bytes), options).catch(
    (error: unknown) => {
      throw new ModelLoadError(
        `ONNX Runtime failed to load ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    },
  );
  const missing = [
    ...REQUIRED_INPUTS.filter((name) => !session.inputNames.includes(name)),
    ...REQUIRED_OUTPUTS.filter((name) => !session.outputNames.includes(name)),
  ];
  if (missing.length > 0) {
    await session.release();
    throw new ModelLoadError(`${path} lacks the inputs or outputs ${missing.join(', ')}`);
  }
  return session;
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
