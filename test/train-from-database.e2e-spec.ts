/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { DataSource } from 'typeorm';
import { PostgresSequenceSource } from '../src/model/data/postgres-sequence-source';
import { UserSequence } from '../src/model/data/sequence-source';
import { QFormerRecommender } from '../src/model/qformer/recommender';
import { ModelRegistry } from '../src/models/model-registry';
import { trainFromDatabase } from '../src/models/train-from-database';
import { openDataSource } from '../src/database/data-source';
import { createTestDatabase } from './setup/test-database';
import { clusteredInteractions, seedInteractions } from './support/models';

const CUTOFF = new Date('2026-06-01T00:00:00.000Z');

async function collect(source: PostgresSequenceSource): Promise<UserSequence[]> {
  const sequences: UserSequence[] = [];
  for await (const sequence of source.sequences()) {
    sequences.push(sequence);
  }
  return sequences;
}

describe('training from the database', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, poolSize: 4, runMigrations: false });
    const interactions = clusteredInteractions(15, 10, 10);
    // Out of time order on insert, to show the source sorts by occurred_at.
    interactions.push({
      userId: 'ua01',
      itemId: 'a\\hidden',
      eventType: 'purchase',
      occurredAt: new Date('2025-12-31T23:00:00Z'),
    });
    interactions.push({
      userId: 'ua01',
      itemId: 'late',
      eventType: 'view',
      occurredAt: new Date('2026-07-01T00:00:00Z'),
    });
    await seedInteractions(dataSource, interactions);
    await dataSource.query(`UPDATE items SET hidden = true WHERE external_id = 'a\\hidden'`);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  describe('PostgresSequenceSource', () => {
    it('streams users in order up to the cut-off', async () => {
      const source = await PostgresSequenceSource.open(dataSource, { cutoff: CUTOFF });
      try {
        const sequences = await collect(source);
        const first = sequences[0];

        expect(sequences).toHaveLength(30);
        expect(sequences.map((sequence) => sequence.userId).slice(0, 3)).toEqual([
          'ua01',
          'ua02',
          'ua03',
        ]);
        expect(first.itemIds).toHaveLength(11);
        expect(first.itemIds[0]).toBe('a\\hidden');
        expect(first.eventTypes?.[0]).toBe('purchase');
        expect(first.itemIds.slice(1, 4)).toEqual(['a02', 'a03', 'a04']);
        expect(first.itemIds).not.toContain('late');
      } finally {
        await source.close();
      }
    });

    it('repeats the same rows in one snapshot', async () => {
      const source = await PostgresSequenceSource.open(dataSource, { cutoff: CUTOFF });
      try {
        const before = await collect(source);
        await seedInteractions(dataSource, [
          { userId: 'ua02', itemId: 'a01', eventType: 'view', occurredAt: CUTOFF },
        ]);
        const after = await collect(source);

        expect(after).toEqual(before);
      } finally {
        await source.close();
        await dataSource.query(`DELETE FROM interactions WHERE occurred_at = $1`, [
          CUTOFF.toISOString(),
        ]);
      }
    });

    it('defaults the cut-off to the snapshot time', async () => {
      const before = Date.now();
      const source = await PostgresSequenceSource.open(dataSource);
      await source.close();

      expect(source.cutoff.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(source.cutoff.getTime()).toBeLessThanOrEqual(Date.now());
    });
  });

  it('trains a model that loads and recommends', async () => {
    const trained = await trainFromDatabase(dataSource, {
      model: {
        dim: 16,
        maxLength: 20,
        encoderBlocks: 1,
        queryCount: 2,
        heads: 2,
        feedForwardDim: 32,
        dropout: 0,
      },
      trainer: { epochs: 2, batchSize: 16, warmupSteps: 0, learningRate: 5e-3 },
      topK: 5,
      cutoff: CUTOFF,
      validationUsers: 10,
    });
    const registry = new ModelRegistry(dataSource);
    const version = await registry.register({
      contents: trained.contents,
      eventTypes: trained.eventTypes,
      dataCutoff: trained.dataCutoff,
      status: 'registered',
    });
    const artifact = await registry.loadArtifact(version.id);
    const recommender = new QFormerRecommender(artifact);
    const history = ['a03', 'a04', 'a05'].map((id) => artifact.vocabulary.requireIndex(id));
    const result = await recommender.recommend([{ items: Int32Array.from(history) }]);
    await recommender.release();

    expect(trained.result.epochs).toHaveLength(2);
    expect(trained.eventTypes).toEqual(['click', 'purchase', 'view']);
    expect(trained.dataCutoff).toEqual(CUTOFF);
    expect(trained.validation.targets).toHaveLength(10);
    expect(artifact.vocabulary.size).toBe(21);
    expect(artifact.vocabulary.indexOf('late')).toBeUndefined();
    expect(version.metrics).toMatchObject({
      validation: { users: 10, ndcg10: expect.any(Number) },
      data: { users: 30, interactions: 301, items: 21 },
    });
    expect(result.items).toHaveLength(5);
    expect(new Set(result.items).size).toBe(5);
  });

  it('lowers the top-K to the item count', async () => {
    const trained = await trainFromDatabase(dataSource, {
      model: { dim: 8, maxLength: 10, encoderBlocks: 0, queryCount: 1, heads: 1 },
      trainer: { epochs: 1, batchSize: 32 },
      cutoff: CUTOFF,
      validationUsers: 0,
    });

    expect(trained.contents.topK).toBe(21);
    expect(trained.validation.targets).toHaveLength(0);
    expect(Number.isNaN(trained.result.epochs[0].validationNdcg10)).toBe(true);
  });

  it('rejects a cut-off before every interaction', async () => {
    await expect(
      trainFromDatabase(dataSource, { cutoff: new Date('2020-01-01T00:00:00Z') }),
    ).rejects.toThrow(/no interactions occurred at or before 2020-01-01T00:00:00.000Z/);
  });

  it('stops training when the signal aborts', async () => {
    const controller = new AbortController();
    let epochs = 0;

    const training = trainFromDatabase(dataSource, {
      model: { dim: 8, maxLength: 10, encoderBlocks: 0, queryCount: 1, heads: 1 },
      trainer: { epochs: 5, batchSize: 8 },
      cutoff: CUTOFF,
      signal: controller.signal,
      onEpoch: () => {
        epochs += 1;
        controller.abort(new Error('cancelled after one epoch'));
      },
    });

    await expect(training).rejects.toThrow('cancelled after one epoch');
    expect(epochs).toBe(1);
  });

  it('stops before reading when the signal aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by test'));

    await expect(
      trainFromDatabase(dataSource, { cutoff: CUTOFF, signal: controller.signal }),
    ).rejects.toThrow('cancelled by test');
  });
});
