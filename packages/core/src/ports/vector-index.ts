import type { Collection, MetadataFilter, VectorMatch, VectorMetadata, VectorRecord } from '../domain/index.js';

export interface VectorQuery {
  vector: number[];
  /** Number of nearest neighbours, 1..100. */
  k: number;
  where?: MetadataFilter;
}

/**
 * Vector memory of earlier receipts, one collection each for lines and words. The hot path only
 * queries it; compaction is its only writer. Queries cost what one receipt needs, never a scan
 * or download that grows with the index (the exact scan adapter is a test reference only).
 *
 * @example
 * await index.upsert('lines', [{ id: `${receipt_id}#1`, vector, document: 'HARBOR LANE GROCERY', metadata: { receipt_id } }]);
 * const [nearest] = await index.query('lines', { vector, k: 5, where: { receipt_phone: '+15551234567' } });
 * // nearest?.score is the cosine similarity, 1 = same direction
 */
export interface VectorIndex {
  /** Inserts or replaces by id; idempotent. Any number of records (adapters batch). */
  upsert(collection: Collection, records: VectorRecord[]): Promise<void>;
  /** Deletes by id; absent ids are ignored. */
  delete(collection: Collection, ids: string[]): Promise<void>;
  /** Deletes every record whose metadata matches; returns how many were deleted. */
  deleteWhere(collection: Collection, where: MetadataFilter): Promise<number>;
  /** Records by id, in input order, skipping absent ones. */
  get(collection: Collection, ids: string[]): Promise<VectorRecord[]>;
  /** Ids of records whose metadata matches. */
  findIds(collection: Collection, where: MetadataFilter): Promise<string[]>;
  /**
   * Sets metadata keys on existing records. A key whose value is null is removed; keys not
   * named are kept. Vectors and documents are untouched. Returns how many records were updated.
   */
  updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number>;
  /** Nearest neighbours by cosine similarity, best first. */
  query(collection: Collection, query: VectorQuery): Promise<VectorMatch[]>;
  count(collection: Collection): Promise<number>;
}
