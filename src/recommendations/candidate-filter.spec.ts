import { Candidate, takeFiltered } from './candidate-filter';
import type { CandidateItem } from './recommendations.repository';

const catalogue: CandidateItem[] = [
  { itemId: 'a', title: 'A', categories: ['x'], hidden: false, seen: false },
  { itemId: 'b', title: 'B', categories: ['y'], hidden: true, seen: false },
  { itemId: 'c', title: 'C', categories: ['x', 'y'], hidden: false, seen: true },
  { itemId: 'd', title: 'D', categories: ['y'], hidden: false, seen: false },
  { itemId: 'e', title: 'E', categories: [], hidden: false, seen: false },
];

async function* chunks(...lists: string[][]): AsyncGenerator<Candidate[]> {
  for (const list of lists) {
    yield await Promise.resolve(list.map((itemId, i) => ({ itemId, score: -i })));
  }
}

function lookupIn(calls: string[][]) {
  return (itemIds: string[]) => {
    calls.push(itemIds);
    return Promise.resolve(catalogue.filter((item) => itemIds.includes(item.itemId)));
  };
}

describe('takeFiltered', () => {
  it('drops hidden, seen, deleted and excluded items', async () => {
    const calls: string[][] = [];
    const accepted = await takeFiltered(
      chunks(['a', 'b', 'c', 'gone', 'd', 'e']),
      10,
      lookupIn(calls),
      { exclude: new Set(['e']), categories: [] },
    );

    expect(accepted.map((item) => item.itemId)).toEqual(['a', 'd']);
    expect(calls).toEqual([['a', 'b', 'c', 'gone', 'd']]);
  });

  it('keeps items in any requested category', async () => {
    const accepted = await takeFiltered(chunks(['e', 'd', 'a']), 10, lookupIn([]), {
      exclude: new Set(),
      categories: ['x', 'z'],
    });

    expect(accepted.map((item) => item.itemId)).toEqual(['a']);
  });

  it('pulls further chunks only when needed', async () => {
    const calls: string[][] = [];
    const accepted = await takeFiltered(
      chunks(['b', 'a'], ['a', 'd', 'e'], ['c']),
      2,
      lookupIn(calls),
      {
        exclude: new Set(),
        categories: [],
      },
    );

    expect(accepted.map((item) => item.itemId)).toEqual(['a', 'd']);
    expect(calls).toEqual([
      ['b', 'a'],
      ['d', 'e'],
    ]);
  });
});
