/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemVocabulary } from '../data/item-vocabulary';
import { resolveConfig } from './config';
import {
  canonicalJsonBytes,
  EncodedModel,
  encodeModel,
  loadEncodedModel,
  loadModel,
  MODEL_FILES,
  ModelLoadError,
  saveModel,
  SavedModelContents,
} from './model-store';
import { initializeParameters } from './parameters';
import { QFormerRecommender } from './recommender';
import { parameterSpecsOf } from './trainer';

const ITEM_COUNT = 12;
const config = resolveConfig({
  dim: 8,
  maxLength: 6,
  encoderBlocks: 1,
  queryCount: 2,
  heads: 2,
  feedForwardDim: 16,
  dropout: 0,
});
const vocabulary = ItemVocabulary.fromItemIds(
  Array.from({ length: ITEM_COUNT }, (_value, index) => `sku-${index + 1}`),
);
const contents: SavedModelContents = {
  config,
  vocabulary,
  parameters: initializeParameters(parameterSpecsOf(config, ITEM_COUNT), 5),
  topK: 4,
  metrics: { validation: { ndcg10: 0.25, missing: Number.NaN }, note: undefined },
};

/** Copies an encoded model the way a jsonb column returns it: keys in another order. */
function reorderKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(reorderKeys);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const entries = Object.entries(value as Record<string, unknown>).reverse();
  return Object.fromEntries(entries.map(([key, element]) => [key, reorderKeys(element)]));
}

function throughJsonb(encoded: EncodedModel): EncodedModel {
  return {
    manifest: reorderKeys(encoded.manifest) as EncodedModel['manifest'],
    onnx: Uint8Array.from(encoded.onnx),
    items: reorderKeys(encoded.items) as EncodedModel['items'],
    config: reorderKeys(encoded.config) as EncodedModel['config'],
    metrics: reorderKeys(encoded.metrics),
  };
}

describe('encoded model', () => {
  const encoded = encodeModel(contents);

  it('stores metrics as JSON reads them back', () => {
    expect(encoded.metrics).toEqual({ validation: { ndcg10: 0.25, missing: null } });
    expect(encoded.manifest.itemCount).toBe(ITEM_COUNT);
    expect(encoded.manifest.topK).toBe(4);
  });

  it('round-trips through a key-reordering store', async () => {
    const loaded = await loadEncodedModel(throughJsonb(encoded), 'model version A');
    const recommender = new QFormerRecommender(loaded);
    const result = await recommender.recommend([{ items: Int32Array.of(1, 2, 3) }]);
    await recommender.release();

    expect(loaded.source).toBe('model version A');
    expect(loaded.config).toEqual(config);
    expect(loaded.vocabulary.itemId(5)).toBe(vocabulary.itemId(5));
    expect(loaded.metrics).toEqual(encoded.metrics);
    expect(result.items).toHaveLength(4);
  });

  it('scores like the same model saved as a directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'qformer-encoded-'));
    try {
      await saveModel(directory, contents);
      const fromDirectory = new QFormerRecommender(await loadModel(directory));
      const fromBytes = new QFormerRecommender(await loadEncodedModel(encoded, 'bytes'));
      const histories = [Int32Array.of(4, 5, 6), Int32Array.of(12)];
      const expected = await fromDirectory.score(histories);
      const actual = await fromBytes.score(histories);
      await fromDirectory.release();
      await fromBytes.release();

      expect(Array.from(actual)).toEqual(Array.from(expected));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('writes directory files in canonical form', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'qformer-encoded-'));
    try {
      await saveModel(directory, contents);
      const configFile = await readFile(join(directory, MODEL_FILES.config));

      expect(configFile.equals(Buffer.from(canonicalJsonBytes(config)))).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('rejects corrupted ONNX bytes', async () => {
    const onnx = Uint8Array.from(encoded.onnx);
    onnx[onnx.length - 10] ^= 0xff;

    const loading = loadEncodedModel({ ...encoded, onnx }, 'model version B');

    await expect(loading).rejects.toThrow(ModelLoadError);
    await expect(loadEncodedModel({ ...encoded, onnx }, 'model version B')).rejects.toThrow(
      /model version B \(model\.onnx\) fails its checksum/,
    );
  });

  it('reads an older config with the settings it was trained with', async () => {
    // Configurations saved before a field existed lack it.
    const added = ['scaleItemEmbeddings', 'encoderPositionBias', 'gatedFeedForward'] as const;
    const older: Partial<typeof config> = { ...config };
    added.forEach((field) => delete older[field]);
    delete older.itemDropout;
    delete older.qformerDropout;
    const olderModel = encodeModel({ ...contents, config: older as typeof config });
    const model = await loadEncodedModel(olderModel, 'v');
    await model.session.release();

    for (const field of added) {
      expect(Object.keys(olderModel.config)).not.toContain(field);
      expect(model.config[field]).toBe(false);
    }
    for (const ratio of ['itemDropout', 'qformerDropout'] as const) {
      expect(Object.keys(olderModel.config)).not.toContain(ratio);
      expect(model.config[ratio]).toBe(0);
    }
  });

  it('rejects a changed item mapping', async () => {
    const items = { ...encoded.items, items: [...encoded.items.items].reverse() };

    await expect(loadEncodedModel({ ...encoded, items }, 'v')).rejects.toThrow(
      /v \(items\.json\) fails its checksum/,
    );
  });

  it('rejects a changed configuration', async () => {
    const changed = { ...encoded.config, dim: 16 };

    await expect(loadEncodedModel({ ...encoded, config: changed }, 'v')).rejects.toThrow(
      /v \(config\.json\) fails its checksum/,
    );
  });

  it('rejects another format version', async () => {
    const manifest = { ...encoded.manifest, formatVersion: 7 };

    await expect(loadEncodedModel({ ...encoded, manifest }, 'v')).rejects.toThrow(
      /v \(manifest\.json\): format version 7 is not supported/,
    );
  });

  it('rejects a manifest without checksums', async () => {
    const manifest = { ...encoded.manifest, files: {} };

    await expect(loadEncodedModel({ ...encoded, manifest }, 'v')).rejects.toThrow(
      /does not list model\.onnx/,
    );
  });
});
