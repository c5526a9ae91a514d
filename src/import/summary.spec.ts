import type { ImportSummary } from './importer';
import { formatSummary } from './summary';

const SUMMARY: ImportSummary = {
  rowsRead: 10,
  inserted: 7,
  duplicates: 3,
  rejected: 0,
  rejections: [],
  catalogItemsRead: 0,
  usersCreated: 2,
  itemsCreated: 4,
  elapsedSeconds: 2.04,
  rowsPerSecond: 4.9,
};

describe('formatSummary', () => {
  it('prints one line without rejections', () => {
    expect(formatSummary('train.txt', SUMMARY)).toBe(
      'Imported train.txt: 10 rows read, 7 inserted, 3 skipped as duplicates, 0 rejected; ' +
        '2 users and 4 items created; 2.0 s, 5 rows/s',
    );
  });

  it('lists the first five rejections', () => {
    const rejections = Array.from({ length: 7 }, (_, index) => ({
      file: 'u.data',
      line: index + 1,
      reason: 'bad',
    }));

    const text = formatSummary('u.data', { ...SUMMARY, rejected: 7, rejections }, true);

    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Stopped import of u\.data: .* 7 rejected;/);
    expect(lines[1]).toBe('First rejected lines:');
    expect(lines.slice(2)).toEqual([1, 2, 3, 4, 5].map((line) => `  u.data line ${line}: bad`));
  });
});
