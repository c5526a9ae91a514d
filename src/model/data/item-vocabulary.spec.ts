import { ItemVocabulary, PADDING_INDEX } from './item-vocabulary';

describe('ItemVocabulary', () => {
  it('numbers integer ids in numeric order', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['10', '2', '1', '2']);

    expect(vocabulary.size).toBe(3);
    expect(vocabulary.indexOf('1')).toBe(1);
    expect(vocabulary.indexOf('2')).toBe(2);
    expect(vocabulary.indexOf('10')).toBe(3);
  });

  it('reserves index 0 for padding', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['a']);

    expect(PADDING_INDEX).toBe(0);
    expect(vocabulary.indexOf('a')).toBe(1);
    expect(() => vocabulary.itemId(PADDING_INDEX)).toThrow('item index 0 is outside 1..1');
  });

  it('puts string ids after integer ids', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['sku-b', '7', 'sku-a']);

    expect([1, 2, 3].map((index) => vocabulary.itemId(index))).toEqual(['7', 'sku-a', 'sku-b']);
  });

  it('names an unknown id', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['1']);

    expect(vocabulary.indexOf('2')).toBeUndefined();
    expect(() => vocabulary.requireIndex('2')).toThrow(
      'item id "2" is not in the vocabulary of 1 items',
    );
  });

  it('round-trips through JSON', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['30', '10', '20']);
    vocabulary.attachMetadata(
      new Map([['20', { title: 'Misérables, Les (1995)', genres: ['Drama'] }]]),
    );

    const restored = ItemVocabulary.fromJSON(JSON.parse(JSON.stringify(vocabulary)));

    expect(restored.size).toBe(3);
    expect(restored.indexOf('30')).toBe(3);
    expect(restored.itemId(1)).toBe('10');
    expect(restored.metadata(2)).toEqual({ title: 'Misérables, Les (1995)', genres: ['Drama'] });
    expect(restored.metadata(1)).toBeUndefined();
    expect(restored.toJSON()).toEqual(vocabulary.toJSON());
  });

  it('keeps stored order on restore', () => {
    const restored = ItemVocabulary.fromJSON({ version: 1, items: [{ id: 'b' }, { id: 'a' }] });

    expect(restored.indexOf('b')).toBe(1);
    expect(restored.indexOf('a')).toBe(2);
  });

  it('rejects duplicate ids in JSON', () => {
    const json = { version: 1, items: [{ id: 'a' }, { id: 'a' }] };

    expect(() => ItemVocabulary.fromJSON(json)).toThrow('duplicate item id "a"');
  });

  it('rejects an unknown JSON version', () => {
    expect(() => ItemVocabulary.fromJSON({ version: 2, items: [] })).toThrow(
      'unsupported item vocabulary version: 2',
    );
  });

  it('maps metadata through catalogue ids', () => {
    const vocabulary = ItemVocabulary.fromItemIds(['1', '2']);
    const movies = new Map([
      ['1198', { title: 'Raiders of the Lost Ark (1981)', genres: ['Action'] }],
    ]);
    const sequentialToMovieLens = new Map([['1', '1198']]);

    const attached = vocabulary.attachMetadata(movies, (itemId) =>
      sequentialToMovieLens.get(itemId),
    );

    expect(attached).toBe(1);
    expect(vocabulary.metadata(1)?.title).toBe('Raiders of the Lost Ark (1981)');
    expect(vocabulary.metadata(2)).toBeUndefined();
  });
});
