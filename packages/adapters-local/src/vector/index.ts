// The vector index alone, for the Lambda bundles (efs mode): no OCR, renderer or job stores.
export * from './hnsw-vector-index.js';
export * from './hnsw-follower-vector-index.js';
export * from './fs-vector-index-files.js';
export { DEFAULT_KEEP_SNAPSHOTS, parseSnapshotId, type SnapshotDescriptor } from './snapshot-catalog.js';
export * from './hnsw-fenced-writer-vector-index.js';
export * from './per-collection-vector-index.js';
export * from './fencing-compaction-lock.js';
