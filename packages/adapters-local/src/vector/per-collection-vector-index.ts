import type {
  Collection,
  MetadataFilter,
  VectorIndex,
  VectorMatch,
  VectorMetadata,
  VectorQuery,
  VectorRecord,
} from '@receiptflow/core';

/**
 * One {@link VectorIndex} per collection behind the one port. The shared-directory modes keep
 * each collection in its own directory (`<root>/lines/`, `<root>/words/`) because compaction
 * locks each collection separately: two containers may hold the two locks at once, and each
 * directory must have exactly one writer, fenced by its own collection's token.
 *
 * @example
 * const vectors = new PerCollectionVectorIndex({ lines: linesWriter, words: wordsWriter });
 */
export class PerCollectionVectorIndex implements VectorIndex {
  constructor(readonly indexes: Readonly<Record<Collection, VectorIndex>>) {}

  upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    return this.indexes[collection].upsert(collection, records);
  }
  delete(collection: Collection, ids: string[]): Promise<void> {
    return this.indexes[collection].delete(collection, ids);
  }
  deleteWhere(collection: Collection, where: MetadataFilter): Promise<number> {
    return this.indexes[collection].deleteWhere(collection, where);
  }
  get(collection: Collection, ids: string[]): Promise<VectorRecord[]> {
    return this.indexes[collection].get(collection, ids);
  }
  findIds(collection: Collection, where: MetadataFilter): Promise<string[]> {
    return this.indexes[collection].findIds(collection, where);
  }
  updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number> {
    return this.indexes[collection].updateMetadata(collection, ids, patch);
  }
  query(collection: Collection, query: VectorQuery): Promise<VectorMatch[]> {
    return this.indexes[collection].query(collection, query);
  }
  count(collection: Collection): Promise<number> {
    return this.indexes[collection].count(collection);
  }
}
