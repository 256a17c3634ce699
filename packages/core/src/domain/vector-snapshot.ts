import type { Collection } from './ids.js';
import type { DeltaHeader } from './vector-delta.js';

/**
 * A server-mode vector snapshot: one collection, whole, as one object in the vectors bucket, in
 * the vector delta's format 2 (vector-delta-stream.ts: framed records, count and FNV-1a 64
 * checksum in the trailer), so that it is written and read as a stream with the same checks.
 * Its header is a delta header whose `run_id` is the snapshot id, `image_id` is
 * {@link SNAPSHOT_IMAGE_ID} and `receipt_id` is 0: a reader passes
 * {@link vectorSnapshotHeader} as `expected`, so a snapshot of another collection or id (a
 * copied or renamed object) is refused like a corrupt one.
 */
export const VECTOR_SNAPSHOT_PREFIX = 'snapshots/';

/** The `image_id` a snapshot's header carries in place of a receipt's. */
export const SNAPSHOT_IMAGE_ID = 'snapshot';

/** Ids are `v` and the pointer version they were written for, zero-padded: sorted by key = by age. */
const SNAPSHOT_ID = /^v\d{10}$/;

/**
 * The id of the snapshot written for pointer `version`. A retried promotion of the same version
 * rewrites the same key (a PUT replaces it whole), so a failed attempt leaves no stray files.
 */
export function vectorSnapshotId(version: number): string {
  return `v${String(version).padStart(10, '0')}`;
}

export function isVectorSnapshotId(id: string): boolean {
  return SNAPSHOT_ID.test(id);
}

/** `snapshots/<collection>/<id>`: where a snapshot is stored (lifecycle rules act on `snapshots/`). */
export function vectorSnapshotKey(collection: Collection, id: string): string {
  return `${VECTOR_SNAPSHOT_PREFIX}${collection}/${id}`;
}

/** The header a snapshot of `collection` with `id` carries. */
export function vectorSnapshotHeader(collection: Collection, id: string): DeltaHeader {
  return { run_id: id, image_id: SNAPSHOT_IMAGE_ID, receipt_id: 0, collection };
}
