import { selectTopK } from './top-k';

describe('selectTopK', () => {
  it('returns the best items first', () => {
    const row = Float32Array.from([99, 0.1, 0.9, 0.5, 0.7, 0.3]);

    const top = selectTopK(row, 3, new Uint8Array(6));

    expect(Array.from(top)).toEqual([2, 4, 3]);
  });

  it('never returns padding', () => {
    const row = Float32Array.from([100, 1, 2]);

    expect(Array.from(selectTopK(row, 3, new Uint8Array(3)))).toEqual([2, 1]);
  });

  it('skips excluded items', () => {
    const row = Float32Array.from([0, 5, 4, 3, 2]);
    const excluded = Uint8Array.from([0, 1, 0, 1, 0]);

    expect(Array.from(selectTopK(row, 2, excluded))).toEqual([2, 4]);
  });

  it('breaks ties by lower index', () => {
    const row = Float32Array.from([0, 1, 2, 2, 1, 2]);

    expect(Array.from(selectTopK(row, 4, new Uint8Array(6)))).toEqual([2, 3, 5, 1]);
  });

  it('matches a full sort on random scores', () => {
    const itemCount = 500;
    const row = Float32Array.from(
      { length: itemCount + 1 },
      (_, item) => ((item * 7919) % 101) / 7,
    );
    const expected = Array.from({ length: itemCount }, (_, position) => position + 1)
      .sort((a, b) => row[b] - row[a] || a - b)
      .slice(0, 25);

    expect(Array.from(selectTopK(row, 25, new Uint8Array(itemCount + 1)))).toEqual(expected);
  });
});
