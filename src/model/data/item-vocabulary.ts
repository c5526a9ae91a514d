import { compareIds, SequenceSource } from './sequence-source';

/** Descriptive fields of an item, shown next to recommendations. */
export interface ItemMetadata {
  title: string;
  genres: string[];
}

/** Serialised form of an `ItemVocabulary`, stored with a saved model. */
export interface ItemVocabularyJson {
  version: 1;
  /** Item at index i + 1; index 0 is padding and has no entry. */
  items: Array<{ id: string; title?: string; genres?: string[] }>;
}

/** Index reserved for padding in encoded sequences. Real items use 1..size. */
export const PADDING_INDEX = 0;

/**
 * Maps external item ids to contiguous indices 1..N, with index 0 reserved for padding.
 * Ids are ordered numerically when they are integers, so a catalogue already numbered
 * 1..N (such as the sequential MovieLens split) keeps its own numbering.
 */
export class ItemVocabulary {
  private readonly indexById: Map<string, number>;
  private readonly metadataByIndex = new Map<number, ItemMetadata>();

  private constructor(private readonly itemIds: readonly string[]) {
    this.indexById = new Map(itemIds.map((id, position) => [id, position + 1]));
  }

  /** Builds a vocabulary from ids in any order; duplicates are merged. */
  static fromItemIds(itemIds: Iterable<string>): ItemVocabulary {
    const unique = [...new Set(itemIds)].sort(compareIds);
    return new ItemVocabulary(unique);
  }

  /** Builds a vocabulary from every item that occurs in the sources. */
  static async fromSources(sources: Iterable<SequenceSource>): Promise<ItemVocabulary> {
    return ItemVocabulary.fromItemIds(await collectItemIds(sources));
  }

  /** Restores a vocabulary from `toJSON` output; throws on a malformed value. */
  static fromJSON(value: unknown): ItemVocabulary {
    const json = validateVocabularyJson(value);
    const vocabulary = new ItemVocabulary(json.items.map((item) => item.id));
    json.items.forEach((item, position) => {
      if (item.title !== undefined) {
        vocabulary.metadataByIndex.set(position + 1, {
          title: item.title,
          genres: item.genres ?? [],
        });
      }
    });
    return vocabulary;
  }

  /** Number of real items N; valid indices are 1..N. */
  get size(): number {
    return this.itemIds.length;
  }

  /** Returns the index of an item id, or undefined when the id is not in the vocabulary. */
  indexOf(itemId: string): number | undefined {
    return this.indexById.get(itemId);
  }

  /** Returns the index of an item id; throws when the id is not in the vocabulary. */
  requireIndex(itemId: string): number {
    const index = this.indexById.get(itemId);
    if (index === undefined) {
      throw new Error(`item id "${itemId}" is not in the vocabulary of ${this.size} items`);
    }
    return index;
  }

  /** Returns the external id at an index in 1..N; throws for padding or out-of-range indices. */
  itemId(index: number): string {
    if (!Number.isInteger(index) || index < 1 || index > this.size) {
      throw new RangeError(`item index ${index} is outside 1..${this.size}`);
    }
    return this.itemIds[index - 1];
  }

  metadata(index: number): ItemMetadata | undefined {
    return this.metadataByIndex.get(index);
  }

  /**
   * Attaches metadata keyed by a catalogue id. `catalogueIdOf` translates an item id into
   * that catalogue's id when the two numberings differ. Returns how many items got metadata.
   */
  attachMetadata(
    metadataByCatalogueId: ReadonlyMap<string, ItemMetadata>,
    catalogueIdOf: (itemId: string) => string | undefined = (itemId) => itemId,
  ): number {
    let attached = 0;
    this.itemIds.forEach((itemId, position) => {
      const catalogueId = catalogueIdOf(itemId);
      const metadata =
        catalogueId === undefined ? undefined : metadataByCatalogueId.get(catalogueId);
      if (metadata !== undefined) {
        this.metadataByIndex.set(position + 1, metadata);
        attached += 1;
      }
    });
    return attached;
  }

  toJSON(): ItemVocabularyJson {
    const items = this.itemIds.map((id, position) => {
      const metadata = this.metadataByIndex.get(position + 1);
      return metadata === undefined
        ? { id }
        : { id, title: metadata.title, genres: metadata.genres };
    });
    return { version: 1, items };
  }
}

/** Returns the set of item ids that occur in the sources, reading each source once. */
export async function collectItemIds(sources: Iterable<SequenceSource>): Promise<Set<string>> {
  const itemIds = new Set<string>();
  for (const source of sources) {
    for await (const sequence of source.sequences()) {
      for (const itemId of sequence.itemIds) {
        itemIds.add(itemId);
      }
    }
  }
  return itemIds;
}

function validateVocabularyJson(value: unknown): ItemVocabularyJson {
  if (typeof value !== 'object' || value === null) {
    throw new Error('invalid item vocabulary: expected an object');
  }
  const { version, items } = value as { version?: unknown; items?: unknown };
  if (version !== 1) {
    throw new Error(`unsupported item vocabulary version: ${String(version)} (expected 1)`);
  }
  if (!Array.isArray(items)) {
    throw new Error('invalid item vocabulary: "items" must be an array');
  }
  const seen = new Set<string>();
  items.forEach((item: unknown, position) => {
    const entry = item as { id?: unknown; title?: unknown; genres?: unknown } | null;
    if (typeof entry?.id !== 'string' || entry.id.length === 0) {
      throw new Error(`invalid item vocabulary: item ${position + 1} has no string id`);
    }
    if (seen.has(entry.id)) {
      throw new Error(`invalid item vocabulary: duplicate item id "${entry.id}"`);
    }
    seen.add(entry.id);
    if (entry.title !== undefined && typeof entry.title !== 'string') {
      throw new Error(`invalid item vocabulary: item "${entry.id}" has a non-string title`);
    }
    if (entry.genres !== undefined && !isStringArray(entry.genres)) {
      throw new Error(`invalid item vocabulary: item "${entry.id}" has invalid genres`);
    }
  });
  return value as ItemVocabularyJson;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((element) => typeof element === 'string');
}
