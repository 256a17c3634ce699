import type { S3Client } from '@aws-sdk/client-s3';
import type { CompactionLock, ImageStore, VectorIndex, VectorSnapshotDeps } from '@receiptflow/core';
import type { VectorStorageConfig } from '../../config/aws-config.js';

/** The vector index a Lambda uses, and (for the efs writer) how its lock must fence it. */
export interface VectorStorage {
  vectors: VectorIndex;
  /** Wraps the compaction lock so each lease fences the collection's writer; identity otherwise. */
  fencedLock(lock: CompactionLock): CompactionLock;
  /**
   * Server mode, writer: the snapshot policy compaction writes Chroma snapshot files with, into
   * `store` (the vectors bucket, beside the deltas). Absent in efs and s3 mode, whose index files
   * are their own snapshots.
   */
  snapshotsInto?(store: ImageStore): VectorSnapshotDeps;
}

export type StorageConfig = VectorStorageConfig & {
  EMBEDDING_DIMENSIONS: number;
  /** s3 mode, when no client is handed in: the region and endpoint of the client built. */
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string | undefined;
};

/**
 * Builds a function's vector storage from its config: `reader` functions (process-OCR results,
 * receipts-read) only query, `writer` (compaction) writes. `s3` is the function's own S3 client
 * (s3 mode; built from the config's region and endpoint when absent).
 */
export type VectorStorageFactory = (
  config: StorageConfig,
  role: 'reader' | 'writer',
  s3?: () => S3Client,
) => VectorStorage;

/**
 * The vector storage code of one `VECTOR_STORAGE_MODE`, imported on demand: Chroma's client for
 * `server`, the HNSW index files for `efs` and `s3`. The Lambda entries await it at init, after
 * parsing their config, so a function loads (reads, compiles, evaluates) only its mode's code:
 * chromadb alone touches `Headers` at import, which loads Node's fetch implementation (undici),
 * a fifth of compaction's init in efs mode before this split (docs/benchmarks.md#p5-cold-start-and-the-sdk).
 * The bundles keep each mode in its own chunk (scripts/build.mjs splits at every `import()`).
 * The factory it returns refuses a config of another mode, naming both.
 *
 * @example
 * const config = parseConfig(CompactionConfigSchema, process.env, 'compaction');
 * const storageFor = await loadVectorStorage(config.VECTOR_STORAGE_MODE);
 * container.load(awsCompactionModule(config, storageFor));
 */
export async function loadVectorStorage(
  mode: VectorStorageConfig['VECTOR_STORAGE_MODE'],
): Promise<VectorStorageFactory> {
  const build: VectorStorageFactory =
    mode === 'server'
      ? (await import('./vector-storage-server.js')).serverVectorStorage
      : (await import('./vector-storage-files.js')).fileVectorStorage;
  return (config, role, s3) => {
    if (config.VECTOR_STORAGE_MODE !== mode)
      throw new TypeError(
        `vector storage was loaded for VECTOR_STORAGE_MODE ${mode}, but the config is for ${config.VECTOR_STORAGE_MODE}`,
      );
    return build(config, role, s3);
  };
}
