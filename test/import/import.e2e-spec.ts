import * as path from 'node:path';
import { ImportStoppedError } from '../../src/import/importer';
import { createTestDatabase } from '../setup/test-database';
import {
  countRows,
  createFixtureFolder,
  importInto,
  queryRows,
  removeFixtureFolders,
  writeFixture,
} from './import-helpers';

const GENRES = 'unknown|0\nAction|1\nComedy|2\nDrama|3\n\n';
// "Café" and "Kjærlighetens" are written as ISO-8859-1, as in the MovieLens files.
const ML100K_ITEMS = [
  '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1|0',
  '2|Café au lait (1994)|01-Jan-1994||http://x|0|0|1|1',
  '3|Heat (1995)|01-Jan-1995||http://x|0|1|0|1',
].join('\n');
const ML100K_RATINGS = [
  '1\t1\t5\t874965758',
  '1\t2\t3\t876893171',
  '2\t2\t4\t888550871',
  '3\t3\t1\t878542960',
].join('\n');

interface InteractionRow {
  user: string;
  item: string;
  event_type: string;
  value: number | null;
  occurred_at: Date;
  event_id: string;
}

describe('import', () => {
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
    await removeFixtureFolders();
  });

  beforeEach(async () => {
    await queryRows(database.url, 'TRUNCATE users, items, interactions RESTART IDENTITY CASCADE');
  });

  async function readInteractions(): Promise<InteractionRow[]> {
    return queryRows<InteractionRow>(
      database.url,
      `SELECT u.external_id AS user, i.external_id AS item, x.event_type, x.value,
              x.occurred_at, x.event_id
       FROM interactions x JOIN users u ON u.id = x.user_id JOIN items i ON i.id = x.item_id
       ORDER BY u.external_id, x.occurred_at`,
    );
  }

  async function readItem(externalId: string): Promise<{ title: string; categories: string[] }> {
    const [item] = await queryRows<{ title: string; categories: string[] }>(
      database.url,
      'SELECT title, categories FROM items WHERE external_id = $1',
      [externalId],
    );
    return item;
  }

  async function writeMl100k(ratings = ML100K_RATINGS): Promise<string> {
    const folder = createFixtureFolder();
    await writeFixture(folder, 'u.genre', GENRES);
    await writeFixture(folder, 'u.item', `${ML100K_ITEMS}\n`, 'latin1');
    // The published u.data has no newline after the last line.
    await writeFixture(folder, 'u.data', ratings);
    return folder;
  }

  describe('ml-100k', () => {
    it('stores users, items and ratings', async () => {
      const folder = await writeMl100k();

      const summary = await importInto(database.url, folder, { format: 'ml-100k' });

      expect(summary).toMatchObject({
        rowsRead: 4,
        inserted: 4,
        duplicates: 0,
        rejected: 0,
        catalogItemsRead: 3,
        usersCreated: 3,
        itemsCreated: 3,
      });
      expect(await countRows(database.url)).toEqual({ users: 3, items: 3, interactions: 4 });
      const interactions = await readInteractions();
      expect(interactions[0]).toEqual({
        user: '1',
        item: '1',
        event_type: 'rating',
        value: 5,
        occurred_at: new Date(874965758 * 1000),
        event_id: 'ml100k:1:1:874965758',
      });
    });

    it('decodes ISO-8859-1 titles and genre flags', async () => {
      const folder = await writeMl100k();

      await importInto(database.url, folder, { format: 'ml-100k' });

      expect(await readItem('2')).toEqual({
        title: 'Café au lait (1994)',
        categories: ['Comedy', 'Drama'],
      });
      expect(await readItem('3')).toEqual({
        title: 'Heat (1995)',
        categories: ['Action', 'Drama'],
      });
    });

    it('adds nothing when run again', async () => {
      const folder = await writeMl100k();
      await importInto(database.url, folder, { format: 'ml-100k' });

      const again = await importInto(database.url, path.join(folder, 'u.data'), {
        format: 'ml-100k',
      });

      expect(again).toMatchObject({
        rowsRead: 4,
        inserted: 0,
        duplicates: 4,
        usersCreated: 0,
        itemsCreated: 0,
      });
      expect(await countRows(database.url)).toEqual({ users: 3, items: 3, interactions: 4 });
    });

    it('reports a bad line with its number and skips it', async () => {
      const folder = await writeMl100k(
        ['1\t1\t5\t874965758', '1\t2\t3', '2\t2\t4\t888550871'].join('\n'),
      );

      const summary = await importInto(database.url, folder, { format: 'ml-100k' });

      expect(summary.rejected).toBe(1);
      expect(summary.rejections).toEqual([
        { file: 'u.data', line: 2, reason: 'expected 4 tab-separated fields, found 3' },
      ]);
      expect(summary.inserted).toBe(2);
      expect((await countRows(database.url)).interactions).toBe(2);
    });

    it('strict mode writes nothing of the bad batch', async () => {
      const ratings = [
        '1\t1\t5\t100',
        '1\t2\t3\t200',
        '2\t2\t4\t300',
        '2\t3\tbad\t400',
        '3\t3\t1\t500',
      ].join('\n');
      const folder = await writeMl100k(ratings);

      const result = importInto(database.url, folder, {
        format: 'ml-100k',
        strict: true,
        batchSize: 2,
      });

      await expect(result).rejects.toThrow(ImportStoppedError);
      await expect(result).rejects.toThrow(
        'u.data line 4: rating "bad" is not a number. Import stopped (--strict)',
      );
      const stored = await readInteractions();
      expect(stored.map((row) => row.event_id)).toEqual(['ml100k:1:1:100', 'ml100k:1:2:200']);
    });

    it('rejects an event type outside EVENT_TYPES', async () => {
      const folder = await writeMl100k();

      await expect(
        importInto(database.url, folder, { format: 'ml-100k', eventType: 'hover' }),
      ).rejects.toThrow('The event type "hover" is not in EVENT_TYPES');
      await expect(
        importInto(database.url, folder, { format: 'ml-100k', allowedEventTypes: ['view'] }),
      ).rejects.toThrow('The default event type of ml-100k "rating" is not in EVENT_TYPES (view)');
      expect(await countRows(database.url)).toEqual({ users: 0, items: 0, interactions: 0 });
    });

    it('stores another configured event type', async () => {
      const folder = await writeMl100k();

      await importInto(database.url, folder, { format: 'ml-100k', eventType: 'like' });

      const types = (await readInteractions()).map((row) => row.event_type);
      expect(new Set(types)).toEqual(new Set(['like']));
    });
  });

  describe('ml-1m', () => {
    it('stores ratings and decodes ISO-8859-1 titles', async () => {
      const folder = createFixtureFolder();
      await writeFixture(
        folder,
        'movies.dat',
        '1364::Zero Kelvin (Kjærlighetens kjøtere) (1995)::Action\n2::Jumanji (1995)::Adventure|Fantasy\n',
        'latin1',
      );
      await writeFixture(folder, 'ratings.dat', '1::1364::5::978300760\n1::2::3::978302109\n');

      const summary = await importInto(database.url, folder, { format: 'ml-1m' });

      expect(summary).toMatchObject({ inserted: 2, usersCreated: 1, itemsCreated: 2 });
      expect(await readItem('1364')).toEqual({
        title: 'Zero Kelvin (Kjærlighetens kjøtere) (1995)',
        categories: ['Action'],
      });
      expect((await readInteractions()).map((row) => row.event_id)).toEqual([
        'ml1m:1:1364:978300760',
        'ml1m:1:2:978302109',
      ]);
    });

    it('fails when ratings.dat is missing', async () => {
      const folder = createFixtureFolder();
      await writeFixture(folder, 'train.txt', '1 2\n');

      await expect(importInto(database.url, folder, { format: 'ml-1m' })).rejects.toThrow(
        'ratings.dat not found',
      );
    });
  });

  describe('sequential', () => {
    it('keeps each user order in occurred_at', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(folder, 'train.txt', '3 1 2\n2 3\n\n1\n');

      const summary = await importInto(database.url, file, { format: 'sequential' });

      expect(summary).toMatchObject({ rowsRead: 6, inserted: 6, usersCreated: 3, itemsCreated: 3 });
      const interactions = await readInteractions();
      const user1 = interactions.filter((row) => row.user === '1');
      expect(user1.map((row) => row.item)).toEqual(['3', '1', '2']);
      expect(user1.map((row) => row.event_id)).toEqual(['seq:1:0', 'seq:1:1', 'seq:1:2']);
      expect(interactions.find((row) => row.user === '4')?.item).toBe('1');
      expect(interactions.every((row) => row.event_type === 'view')).toBe(true);
      expect(await readItem('2')).toEqual({ title: '2', categories: [] });
    });

    it('takes titles from movies.dat through the item mapping', async () => {
      const folder = createFixtureFolder();
      await writeFixture(
        folder,
        'movies.dat',
        '1364::Zero Kelvin (Kjærlighetens kjøtere) (1995)::Action\n1::Toy Story (1995)::Animation|Comedy\n',
        'latin1',
      );
      await writeFixture(folder, 'sas_to_movielens_items.txt', '1 1364\n2 1\n');
      const file = await writeFixture(folder, 'train.txt', '1 2\n2\n');

      const summary = await importInto(database.url, file, {
        format: 'sequential',
        sequenceStart: new Date('2020-01-01T00:00:00Z'),
      });

      expect(summary).toMatchObject({ catalogItemsRead: 2, itemsCreated: 2, inserted: 3 });
      expect(await readItem('1')).toEqual({
        title: 'Zero Kelvin (Kjærlighetens kjøtere) (1995)',
        categories: ['Action'],
      });
      expect(await readItem('2')).toEqual({
        title: 'Toy Story (1995)',
        categories: ['Animation', 'Comedy'],
      });
      const [mapped] = await queryRows<{ attributes: unknown }>(
        database.url,
        "SELECT attributes FROM items WHERE external_id = '1'",
      );
      expect(mapped.attributes).toEqual({ movieLensId: 1364 });
      const [first] = await readInteractions();
      expect(first.occurred_at).toEqual(new Date('2020-01-01T00:00:00Z'));
    });

    it('rejects a line with a bad item id', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(folder, 'train.txt', '1 2\n3 x\n4\n');

      const summary = await importInto(database.url, file, { format: 'sequential' });

      expect(summary.rejections).toEqual([
        {
          file: 'train.txt',
          line: 2,
          reason: 'position 1: item id "x" is not a non-negative integer',
        },
      ]);
      expect(summary.inserted).toBe(3);
    });
  });

  describe('csv', () => {
    it('maps named columns', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(
        folder,
        'events.csv',
        [
          'id,user_id,product,event,ts,rating',
          'e1,alice,"sku,1",view,2024-05-01T10:00:00Z,',
          'e2,alice,sku-2,purchase,1714557700,19.5',
          'e3,bob,sku-2,hover,1714557800,',
          'e4,bob,"sku,1",,1714557900,',
        ].join('\r\n'),
      );

      const summary = await importInto(database.url, file, {
        format: 'csv',
        mapping: 'userId=user_id,itemId=product,type=event,occurredAt=ts,value=rating,eventId=id',
        eventType: 'click',
      });

      expect(summary).toMatchObject({ rowsRead: 3, inserted: 3, rejected: 1 });
      expect(summary.rejections[0]).toEqual({
        file: 'events.csv',
        line: 4,
        reason:
          'event type "hover" is not one of EVENT_TYPES (view, click, add_to_cart, purchase, rating, like, dislike)',
      });
      const interactions = await readInteractions();
      expect(interactions.map((row) => [row.user, row.item, row.event_type, row.value])).toEqual([
        ['alice', 'sku,1', 'view', null],
        ['alice', 'sku-2', 'purchase', 19.5],
        ['bob', 'sku,1', 'click', null],
      ]);
      expect(interactions.map((row) => row.event_id)).toEqual(['e1', 'e2', 'e4']);
    });

    it('maps numbered columns without a header and hashes event ids', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(
        folder,
        'events.tsv',
        'u1\ti1\t1714557600000\nu2\ti1\t1714557600000\n',
      );
      const options = {
        format: 'csv' as const,
        header: false,
        delimiter: 'tab',
        mapping: 'userId=1,itemId=2,occurredAt=3',
        timeUnit: 'ms' as const,
        eventType: 'purchase',
      };

      const first = await importInto(database.url, file, options);
      const second = await importInto(database.url, file, options);

      expect(first.inserted).toBe(2);
      expect(second).toMatchObject({ inserted: 0, duplicates: 2 });
      const interactions = await readInteractions();
      expect(interactions[0].occurred_at).toEqual(new Date('2024-05-01T10:00:00Z'));
      expect(interactions[0].event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('fails when a mapped column is not in the header', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(folder, 'events.csv', 'user,item,ts\nu1,i1,1\n');

      await expect(
        importInto(database.url, file, {
          format: 'csv',
          eventType: 'view',
          mapping: 'userId=user',
        }),
      ).rejects.toThrow('Column "itemId" for itemId is not in the CSV header (user, item, ts)');
    });
  });

  describe('jsonl', () => {
    it('maps keys and rejects invalid JSON', async () => {
      const folder = createFixtureFolder();
      const file = await writeFixture(
        folder,
        'events.jsonl',
        [
          '{"user": 7, "item": "book-1", "kind": "like", "at": "2024-05-01T10:00:00+02:00"}',
          '{"user": 7, "item": "book-2", "at": 1714557600, "score": 4}',
          '{"user": 8, "item": ',
          '[1, 2]',
        ].join('\n'),
      );

      const summary = await importInto(database.url, file, {
        format: 'jsonl',
        mapping: 'userId=user,itemId=item,type=kind,occurredAt=at,value=score',
        eventType: 'view',
      });

      expect(summary).toMatchObject({ inserted: 2, rejected: 2, usersCreated: 1, itemsCreated: 2 });
      expect(summary.rejections.map((rejection) => rejection.line)).toEqual([3, 4]);
      expect(summary.rejections[0].reason).toMatch(/^invalid JSON: /);
      expect(summary.rejections[1].reason).toBe('expected a JSON object');
      const interactions = await readInteractions();
      expect(interactions.map((row) => [row.user, row.item, row.event_type, row.value])).toEqual([
        ['7', 'book-1', 'like', null],
        ['7', 'book-2', 'view', 4],
      ]);
    });

    it('stores the same event from CSV and JSONL once', async () => {
      const folder = createFixtureFolder();
      const csv = await writeFixture(
        folder,
        'a.csv',
        'userId,itemId,type,occurredAt,value\nu1,i1,rating,1714557600,4\n',
      );
      const jsonl = await writeFixture(
        folder,
        'a.jsonl',
        '{"userId":"u1","itemId":"i1","type":"rating","occurredAt":"2024-05-01T10:00:00Z","value":4}\n',
      );

      await importInto(database.url, csv, { format: 'csv' });
      const second = await importInto(database.url, jsonl, { format: 'jsonl' });

      expect(second).toMatchObject({ inserted: 0, duplicates: 1 });
    });
  });
});
