import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ItemVocabulary, ItemVocabularyJson } from '../data/item-vocabulary';
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
 * A model as bytes and JSON values, for storage outside a directory (a database row). The
 * manifest is the one a directory would contain. Its checksums of the JSON parts cover
 * their canonical form (keys sorted, see `canonicalJsonBytes`), so they still match after
 * a store such as PostgreSQL `jsonb` reorders keys.
 */
export interface EncodedModel {
  manifest: ModelManifest;
  onnx: Uint8Array;
  /** Item-id mapping (the vocabulary JSON of `items.json`). */
  items: ItemVocabularyJson;
  config: QFormerConfig;
  metrics: unknown;
}

/**
 * Exports the ONNX model and collects everything that travels with it, with a manifest that
 * records the format version and each part's size and SHA-256.
 */
export function encodeModel(contents: SavedModelContents): EncodedModel {
  const itemCount = contents.vocabulary.size;
  const onnx = exportOnnxModel(contents.config, itemCount, contents.parameters, contents.topK);
  const encoded = {
    onnx,
    items: normalizeJson(contents.vocabulary.toJSON()) as ItemVocabularyJson,
    config: normalizeJson(contents.config) as QFormerConfig,
    metrics: normalizeJson(contents.metrics ?? null),
  };
  const parts = partBytes(encoded);
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    itemCount,
    topK: contents.topK,
    files: {},
  };
  for (const key of STORED_FILES) {
    manifest.files[MODEL_FILES[key]] = { sha256: sha256(parts[key]), bytes: parts[key].length };
  }
  return { manifest, ...encoded };
}

/**
 * Writes a model directory: the ONNX model, the item-id mapping, the configuration, the
 * training metrics and a manifest with the format version and each file's SHA-256. Files go
 * to a temporary directory first, which is renamed into place, so a failed save leaves no
 * half-written model at `directory`.
 */
export async function saveModel(directory: string, contents: SavedModelContents): Promise<void> {
  const encoded = encodeModel(contents);
  const files = partBytes(encoded);

  const staging = `${directory}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const key of STORED_FILES) {
    await writeFile(join(staging, MODEL_FILES[key]), files[key]);
  }
  await writeFile(join(staging, MODEL_FILES.manifest), canonicalJsonBytes(encoded.manifest));
  await rm(directory, { recursive: true, force: true });
  await rename(staging, directory);
}

/** A loaded model: its ONNX Runtime session and what travels with it. */
export interface LoadedModel {
  /** Directory the model came from, or the label of an encoded model. */
  source: string;
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
  const locate = (name: string): string => join(directory, name);
  const manifestPath = locate(MODEL_FILES.manifest);
  const manifestBytes = await readFile(manifestPath).catch((error: unknown) => {
    throw new ModelLoadError(
      `cannot read ${manifestPath}: ${errorMessage(error)}; ` +
        'pass the directory written by `qrec train --out`',
    );
  });
  const manifest = checkManifest(
    parseStored(manifestPath, manifestBytes, (value) => value),
    manifestPath,
  );

  const files = new Map<StoredFile, Buffer>();
  for (const key of STORED_FILES) {
    files.set(key, await readVerified(locate, MODEL_FILES[key], manifest));
  }
  const json = (key: StoredFile): unknown =>
    parseStored(locate(MODEL_FILES[key]), files.get(key) as Buffer, (value) => value);
  const parts = {
    onnx: files.get('model') as Buffer,
    items: json('items'),
    config: json('config'),
    metrics: json('metrics'),
  };
  return instantiate(directory, locate, manifest, parts, sessionOptions);
}

/**
 * Loads an encoded model with the same checks as `loadModel`: the manifest's format and
 * version, each part's size and SHA-256, the configuration, the item mapping against the
 * item count, and the ONNX model's inputs and outputs. `label` names the model in errors
 * (for example `model version <id>`). Throws ModelLoadError naming the first failed check.
 */
export async function loadEncodedModel(
  encoded: EncodedModel,
  label: string,
  sessionOptions: InferenceSession.SessionOptions = {},
): Promise<LoadedModel> {
  const locate = (name: string): string => `${label} (${name})`;
  const manifest = checkManifest(encoded.manifest, locate(MODEL_FILES.manifest));
  const parts = partBytes(encoded);
  for (const key of STORED_FILES) {
    verifyBytes(locate, MODEL_FILES[key], parts[key], manifest);
  }
  return instantiate(label, locate, manifest, encoded, sessionOptions);
}

/**
 * Serialises a JSON value with object keys sorted at every level, indented by two spaces
 * and ending in a newline. Equal values give equal bytes whatever their key order.
 */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(sortKeys(value), null, 2)}\n`);
}

interface ModelParts {
  onnx: Uint8Array;
  items: unknown;
  config: unknown;
  metrics: unknown;
}

function partBytes(parts: ModelParts): Record<StoredFile, Uint8Array> {
  return {
    model: parts.onnx,
    items: canonicalJsonBytes(parts.items),
    config: canonicalJsonBytes(parts.config),
    metrics: canonicalJsonBytes(parts.metrics),
  };
}

/**
 * Values of configuration fields added after format version 1 was released, as models saved
 * before them were trained. A saved configuration that names the field overrides them.
 */
const LEGACY_CONFIG: Partial<QFormerConfig> = {
  scaleItemEmbeddings: false,
  maskHistoryItems: false,
  encoderPositionBias: false,
  gatedFeedForward: false,
  itemDropout: 0,
  qformerDropout: 0,
};

/** Parses the JSON parts, checks them against the manifest and opens the ONNX session. */
async function instantiate(
  source: string,
  locate: (name: string) => string,
  manifest: ModelManifest,
  parts: ModelParts,
  sessionOptions: InferenceSession.SessionOptions,
): Promise<LoadedModel> {
  const config = checkPart(locate(MODEL_FILES.config), () =>
    resolveConfig({ ...LEGACY_CONFIG, ...(parts.config as Partial<QFormerConfig>) }),
  );
  const vocabulary = checkPart(locate(MODEL_FILES.items), () =>
    ItemVocabulary.fromJSON(parts.items),
  );
  if (vocabulary.size !== manifest.itemCount) {
    throw new ModelLoadError(
      `${locate(MODEL_FILES.items)} lists ${vocabulary.size} items, but the manifest ` +
        `says ${manifest.itemCount}`,
    );
  }
  const session = await createSession(locate(MODEL_FILES.model), parts.onnx, sessionOptions);
  return { source, manifest, config, vocabulary, metrics: parts.metrics, session };
}

function checkManifest(value: unknown, location: string): ModelManifest {
  const manifest = (
    typeof value === 'object' && value !== null ? value : {}
  ) as Partial<ModelManifest>;
  if (manifest.format !== MODEL_FORMAT) {
    throw new ModelLoadError(
      `${location}: format is ${JSON.stringify(manifest.format)}, expected "${MODEL_FORMAT}"`,
    );
  }
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelLoadError(
      `${location}: format version ${String(manifest.formatVersion)} is not supported; this ` +
        `build reads version ${MODEL_FORMAT_VERSION}. Retrain or export the model again`,
    );
  }
  if (
    typeof manifest.files !== 'object' ||
    manifest.files === null ||
    !Number.isInteger(manifest.itemCount) ||
    !Number.isInteger(manifest.topK)
  ) {
    throw new ModelLoadError(`${location}: files, itemCount or topK is missing or invalid`);
  }
  return manifest as ModelManifest;
}

async function readVerified(
  locate: (name: string) => string,
  name: string,
  manifest: ModelManifest,
): Promise<Buffer> {
  const path = locate(name);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new ModelLoadError(`cannot read ${path}: ${errorMessage(error)}`);
  });
  verifyBytes(locate, name, bytes, manifest);
  return bytes;
}

function verifyBytes(
  locate: (name: string) => string,
  name: string,
  bytes: Uint8Array,
  manifest: ModelManifest,
): void {
  const expected = manifest.files[name];
  if (expected === undefined) {
    throw new ModelLoadError(`${locate(MODEL_FILES.manifest)} does not list ${name}`);
  }
  const actual = sha256(bytes);
  if (bytes.length !== expected.bytes || actual !== expected.sha256) {
    throw new ModelLoadError(
      `${locate(name)} fails its checksum: expected ${expected.bytes} bytes with SHA-256 ` +
        `${expected.sha256}, found ${bytes.length} bytes with SHA-256 ${actual}. The model ` +
        'was changed or corrupted after saving; save or register it again',
    );
  }
}

function parseStored<T>(location: string, bytes: Buffer, parse: (value: unknown) => T): T {
  return checkPart(location, () => parse(JSON.parse(bytes.toString('utf8'))));
}

function checkPart<T>(location: string, parse: () => T): T {
  try {
    return parse();
  } catch (error: unknown) {
    throw new ModelLoadError(`invalid ${location}: ${errorMessage(error)}`);
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
  location: string,
  bytes: Uint8Array,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  const session = await InferenceSession.create(new Uint8Array(bytes), options).catch(
    (error: unknown) => {
      throw new ModelLoadError(`ONNX Runtime failed to load ${location}: ${errorMessage(error)}`);
    },
  );
  const missing = [
    ...REQUIRED_INPUTS.filter((name) => !session.inputNames.includes(name)),
    ...REQUIRED_OUTPUTS.filter((name) => !session.outputNames.includes(name)),
  ];
  if (missing.length > 0) {
    await session.release();
    throw new ModelLoadError(`${location} lacks the inputs or outputs ${missing.join(', ')}`);
  }
  return session;
}

/** Returns the value as it reads back from JSON (NaN becomes null, undefined fields go). */
function normalizeJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function sortKeys(value: unknown): unknown {
  if (hasToJSON(value)) {
    return sortKeys(value.toJSON());
  }
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

function hasToJSON(value: unknown): value is { toJSON: () => unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
