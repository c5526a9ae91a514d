import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase } from '../setup/test-database';
import { countRows, importInto, queryRows } from './import-helpers';

/**
 * Imports of the real MovieLens files. GroupLens' terms forbid redistributing them, so they
 * are not in the repository. The tests read them from QREC_DATASETS_DIR, by default the
 * `shared/datasets` folder beside the repository, and are skipped when they are absent.
 */
const DATASETS =
  process.env.QREC_DATASETS_DIR ?? path.resolve(__dirname, '../../../shared/datasets');
const ML_100K = path.join(DATASETS, 'ml-100k');
const ML_1M_TRAIN = path.join(DATASETS, 'ml-1m', 'train.txt');
// Importing 987,019 rows twice took about a minute on a 2-core machine, so it runs only on
// request (QREC_LARGE_TESTS=1).
const LARGE_TESTS = process.env.QREC_LARGE_TESTS === '1';

const describeIf = (condition: boolean): jest.Describe => (condition ? describe : describe.skip);

describe('import of MovieLens datasets', () => {
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    await queryRows(database.url, 'TRUNCATE users, items, interactions RESTART IDENTITY CASCADE');
  });

  describeIf(existsSync(ML_100K))('ml-100k', () => {
    it('stores 99,999 ratings with titles', async () => {
      const summary = await importInto(database.url, ML_100K, { format: 'ml-100k' });

      expect(summary).toMatchObject({ rowsRead: 99_999, inserted: 99_999, rejected: 0 });
      expect(await countRows(database.url)).toEqual({
        users: 943,
        items: 1682,
        interactions: 99_999,
      });
      const [toyStory] = await queryRows<{ title: string; categories: string[] }>(
        database.url,
        "SELECT title, categories FROM items WHERE external_id = '1'",
      );
      expect(toyStory).toEqual({
        title: 'Toy Story (1995)',
        categories: ['Animation', "Children's", 'Comedy'],
      });

      const again = await importInto(database.url, ML_100K, { format: 'ml-100k' });
      expect(again).toMatchObject({ inserted: 0, duplicates: 99_999 });
    });
  });

  describeIf(LARGE_TESTS && existsSync(ML_1M_TRAIN))('ml-1m train.txt', () => {
    it('stores 987,019 interactions once', async () => {
      const summary = await importInto(database.url, ML_1M_TRAIN, { format: 'sequential' });

      expect(summary).toMatchObject({ inserted: 987_019, rejected: 0, usersCreated: 6040 });
      expect(await countRows(database.url)).toEqual({
        users: 6040,
        items: 3416,
        interactions: 987_019,
      });
      const again = await importInto(database.url, ML_1M_TRAIN, { format: 'sequential' });
      expect(again).toMatchObject({ inserted: 0, duplicates: 987_019 });
    }, 300_000);
  });
});
