import { explainItem, ExplanationContext } from './explanations';

// Two interests of dimension 2 and a window of 4 slots holding 3 interactions.
function context(overrides: Partial<ExplanationContext> = {}): ExplanationContext {
  return {
    row: {
      topItems: Int32Array.of(1, 2),
      topScores: Float32Array.of(1, 0.5),
      interests: Float32Array.of(1, 0, 0, 1),
      attention: Float32Array.of(0, 0.7, 0.2, 0.1, 0, 0.1, 0.3, 0.6),
      allScores: Float32Array.of(0, 1, 0.5),
    },
    // Row 0 is padding. Item 1 points along interest 0, and item 2 along interest 1.
    itemTable: Float32Array.of(0, 0, 2, 0.5, 0.1, 3),
    interestCount: 2,
    dim: 2,
    maxLength: 4,
    history: [
      { itemId: 'old', title: 'Old' },
      { itemId: 'mid', title: 'Mid' },
      { itemId: 'new', title: 'New' },
    ],
    ...overrides,
  };
}

describe('explainItem', () => {
  it('picks the interest with the highest dot product', () => {
    expect(explainItem(1, context()).interest).toBe(0);
    expect(explainItem(2, context()).interest).toBe(1);
  });

  it('maps attention slots back to history items', () => {
    const explanation = explainItem(2, context());

    expect(explanation.because.map((cause) => cause.itemId)).toEqual(['new', 'mid', 'old']);
    expect(explanation.because[0].weight).toBeCloseTo(0.6);
    expect(explanation.because[0].title).toBe('New');
  });

  it('sums the weights of a repeated item', () => {
    const repeated = context({
      history: [
        { itemId: 'same', title: 'Same' },
        { itemId: 'other', title: 'Other' },
        { itemId: 'same', title: 'Same' },
      ],
    });
    const explanation = explainItem(1, repeated);

    expect(explanation.because).toHaveLength(2);
    expect(explanation.because[0].itemId).toBe('same');
    expect(explanation.because[0].weight).toBeCloseTo(0.8);
  });

  it('reports no interest without the item table', () => {
    expect(explainItem(1, context({ itemTable: null }))).toEqual({ interest: null, because: [] });
  });
});
