import type { Collection, VectorRecord } from '../domain/index.js';

/**
 * A vector index whose collections can be read whole, a page at a time, and replaced whole: what
 * a server-mode (Chroma) snapshot is written from and restored into. The efs and s3 modes do not
 * need it (their snapshots are the index files themselves).
 *
 * @example
 * for await (const page of chroma.scan('lines', { pageSize: 300 })) encode(page);
 * await chroma.replaceCollection('lines', pagesOf(snapshot), { expectedCount: header.count });
 */
export interface VectorCollectionTransfer {
  /**
   * Every record of the collection (vector, document, metadata), in pages of at most `pageSize`,
   * in a stable order as long as nothing writes the collection meanwhile (the caller holds the
   * compaction lock). Never holds more than one page.
   */
  scan(collection: Collection, options?: { pageSize?: number }): AsyncIterable<VectorRecord[]>;
  /**
   * Loads `pages` into a new collection that no reader sees, checks it holds `expectedCount`
   * records, then makes it the live collection in one step, and drops the old one. If `pages`
   * throws (a corrupt snapshot found at its last byte) or the count differs, the new collection is
   * dropped, the live one is untouched, and the error is rethrown. `beforeSwap` runs after the
   * load and its checks, just before the swap; if it throws (the caller's lease is gone), nothing
   * is swapped either. Returns the records loaded.
   */
  replaceCollection(
    collection: Collection,
    pages: AsyncIterable<VectorRecord[]>,
    options: { expectedCount: number; beforeSwap?: () => Promise<void> },
  ): Promise<number>;
}
