import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import type { ImageStore, VectorSnapshotDeps } from '@receiptflow/core';
import { chromaClient } from './chroma-client.js';
import type { StorageConfig, VectorStorage } from './vector-storage.js';

/**
 * Chroma per call: 3 attempts × 15 s + 2 waits of at most 2 s = 49 s at the worst. An upsert or
 * read of 300 records normally answers in well under a second; 15 s leaves room for a busy server
 * while a dead one is given up on long before compaction's 900 s (or process-OCR-results' 300 s)
 * timeout. Only transient failures are retried (see ChromaVectorIndex).
 */
export const CHROMA_CALL_LIMITS = {
  requestTimeoutMs: 15_000,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
} as const;

/**
 * `VECTOR_STORAGE_MODE=server`: Chroma, for readers and the writer alike; the writer also gets the
 * snapshot policy for Chroma snapshot files. Its own module (and bundle chunk), loaded through
 * `loadVectorStorage('server')` only.
 *
 * @example
 * const { vectors } = serverVectorStorage(config, 'reader');
 */
export function serverVectorStorage(config: StorageConfig, role: 'reader' | 'writer'): VectorStorage {
  if (config.VECTOR_STORAGE_MODE !== 'server')
    throw new TypeError(`serverVectorStorage takes VECTOR_STORAGE_MODE server, got ${config.VECTOR_STORAGE_MODE}`);
  const dimensions = config.EMBEDDING_DIMENSIONS;
  const chroma = new ChromaVectorIndex(
    chromaClient(config.CHROMA_URL, {
      ...(config.CHROMA_AUTH_TOKEN ? { authToken: config.CHROMA_AUTH_TOKEN } : {}),
      ...(config.CHROMA_TENANT ? { tenant: config.CHROMA_TENANT } : {}),
      ...(config.CHROMA_DATABASE ? { database: config.CHROMA_DATABASE } : {}),
    }),
    {
      dimensions,
      requestTimeoutMs: CHROMA_CALL_LIMITS.requestTimeoutMs,
      maxAttempts: CHROMA_CALL_LIMITS.maxAttempts,
      retryBaseDelayMs: CHROMA_CALL_LIMITS.baseDelayMs,
      retryMaxDelayMs: CHROMA_CALL_LIMITS.maxDelayMs,
    },
  );
  return {
    vectors: chroma,
    fencedLock: (lock) => lock,
    ...(role === 'writer'
      ? {
          snapshotsInto: (store: ImageStore): VectorSnapshotDeps => ({
            transfer: chroma,
            vectors: chroma,
            store,
            dimensions,
            every: config.VECTOR_CHECKPOINT_EVERY,
            keep: config.VECTOR_KEEP_SNAPSHOTS,
          }),
        }
      : {}),
  };
}
