import { sampleNegatives } from './negative-sampling';
import { SeededRandom } from './random';

describe('sampleNegatives', () => {
  it('never returns history or target', () => {
    const random = new SeededRandom(1);
    const excluded = new Uint8Array(1001);
    [3, 17, 500].forEach((item) => (excluded[item] = 1));

    for (let round = 0; round < 50; round += 1) {
      const negatives = Array.from(sampleNegatives(random, 1000, excluded, 42, 100));

      expect(new Set(negatives).size).toBe(100);
      expect(negatives.filter((item) => excluded[item] === 1 || item === 42)).toEqual([]);
      expect(negatives.every((item) => item >= 1 && item <= 1000)).toBe(true);
    }
  });

  it('uses every candidate when few remain', () => {
    const excluded = Uint8Array.from([0, 1, 0, 0, 1, 0]);

    const negatives = sampleNegatives(new SeededRandom(3), 5, excluded, 2, 2);

    expect(Array.from(negatives).sort()).toEqual([3, 5]);
  });
});
